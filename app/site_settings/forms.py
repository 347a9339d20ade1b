from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField

from app.forms import Form
from app.services import site


class SiteSettingsForm(Form):
    # The rules (required name, lengths, no control characters) are the service's: one place.
    name = StringField(
        _l("Site name"),
        description=_l(
            "In the header, every title, the feed and share cards. Up to %(max)s characters.",
            max=site.NAME_MAX,
        ),
    )
    tagline = StringField(
        _l("Tagline"),
        description=_l(
            "One line under the name on the home page, and the feed's subtitle. "
            "Up to %(max)s characters.",
            max=site.TAGLINE_MAX,
        ),
    )
    about = TextAreaField(
        _l("About"),
        description=_l(
            "A few lines on the home page, in Markdown: *emphasis*, [links](https://example.com), "
            "lists. Up to %(max)s characters.",
            max=f"{site.ABOUT_MAX:,}",
        ),
    )
    share_image = SelectField(
        _l("Share image"),
        description=_l(
            "The picture of a link to this site shared in a chat or a social site, when a post "
            "has no image of its own. 1200 x 630 pixels suits most sites. Upload images in "
            "your library first."
        ),
        validate_choice=False,  # the service says so in plain words
    )
    submit = SubmitField(_l("Save settings"))

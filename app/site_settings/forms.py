from __future__ import annotations

from wtforms import SelectField, StringField, SubmitField, TextAreaField

from app.forms import Form
from app.services import site


class SiteSettingsForm(Form):
    # The rules (required name, lengths, no control characters) are the service's: one place.
    name = StringField(
        "Site name",
        description=(
            "In the header, every title, the feed and share cards. "
            f"Up to {site.NAME_MAX} characters."
        ),
    )
    tagline = StringField(
        "Tagline",
        description=(
            "One line under the name on the home page, and the feed's subtitle. "
            f"Up to {site.TAGLINE_MAX} characters."
        ),
    )
    about = TextAreaField(
        "About",
        description=(
            f"A few lines on the home page, in Markdown: *emphasis*, [links](https://example.com), "
            f"lists. Up to {site.ABOUT_MAX:,} characters."
        ),
    )
    share_image = SelectField(
        "Share image",
        description=(
            "The picture of a link to this site shared in a chat or a social site, when a post "
            "has no image of its own. 1200 x 630 pixels suits most sites. Upload images in "
            "your library first."
        ),
        validate_choice=False,  # the service says so in plain words
    )
    submit = SubmitField("Save settings")

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    Field,
    FileField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import ValidationError

from app.forms import Form, plain_text
from app.services import i18n, profiles


def _rule(normalize: Callable[[str], object]) -> Callable[[object, Field], None]:
    """A WTForms validator from a ``profiles.normalize_*`` function: its refusal is the error."""

    def check(form: object, field: Field) -> None:
        try:
            normalize(field.data or "")
        except profiles.InvalidProfile as error:
            raise ValidationError(str(error)) from None

    return check


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in profiles.time_zones()]


def _locale_choices() -> list[tuple[str, str]]:
    return [("", _l("As my browser asks")), *i18n.LANGUAGES.items()]


class ProfileForm(Form):
    display_name = StringField(
        _l("Display name"),
        description=_l(
            "Shown beside your @username on your posts, comments and profile. Up to "
            "%(max)s characters; leave it empty to show your username.",
            max=profiles.DISPLAY_NAME_MAX,
        ),
        # The rule refuses control characters itself (and more: bidi overrides, zero widths).
        validators=[_rule(profiles.normalize_display_name)],
    )
    bio = TextAreaField(
        _l("Bio"),
        description=_l(
            "A few lines about you, in Markdown: *emphasis*, [links](https://example.com), "
            "lists. Up to %(max)s characters.",
            max=f"{profiles.BIO_MAX:,}",
        ),
        validators=[plain_text, _rule(profiles.normalize_bio)],
    )
    website = StringField(
        _l("Website"),
        description=_l("The address of your own site, starting with https:// or http://."),
        validators=[_rule(profiles.normalize_website)],
    )
    time_zone = SelectField(
        _l("Time zone"),
        description=_l("Times are shown to you in this zone. Others never see it."),
        choices=_time_zone_choices,
        validate_choice=False,  # _rule below says it in plain words
        validators=[_rule(profiles.normalize_time_zone)],
    )
    locale = SelectField(
        _l("Language"),
        description=_l("The language of the site and of the mail it sends you."),
        choices=_locale_choices,
        validate_choice=False,  # _rule below says it in plain words
        validators=[_rule(profiles.normalize_locale)],
    )
    # The picture goes through the image pipeline (app/services/media.py set_avatar) after the
    # rest is saved; the file comes from ``request.files``, never the text.
    picture = FileField(_l("Picture"))
    remove_picture = BooleanField(_l("Remove my picture"))
    submit = SubmitField(_l("Save profile"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.picture.data = request.files.get("picture") if self.is_submitted() else None

    @property
    def chosen_picture(self) -> FileStorage | None:
        """The file chosen in the picture field, if any."""
        data = self.picture.data
        return data if isinstance(data, FileStorage) and data.filename else None

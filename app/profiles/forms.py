from __future__ import annotations

from collections.abc import Callable

from wtforms import Field, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from app.forms import Form, plain_text
from app.services import profiles


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


class ProfileForm(Form):
    display_name = StringField(
        "Display name",
        description=(
            f"Shown beside your @username on your posts, comments and profile. Up to "
            f"{profiles.DISPLAY_NAME_MAX} characters; leave it empty to show your username."
        ),
        # The rule refuses control characters itself (and more: bidi overrides, zero widths).
        validators=[_rule(profiles.normalize_display_name)],
    )
    bio = TextAreaField(
        "Bio",
        description=(
            f"A few lines about you, in Markdown: *emphasis*, [links](https://example.com), "
            f"lists. Up to {profiles.BIO_MAX:,} characters."
        ),
        validators=[plain_text, _rule(profiles.normalize_bio)],
    )
    website = StringField(
        "Website",
        description="The address of your own site, starting with https:// or http://.",
        validators=[_rule(profiles.normalize_website)],
    )
    time_zone = SelectField(
        "Time zone",
        description="Times are shown to you in this zone. Others never see it.",
        choices=_time_zone_choices,
        validate_choice=False,  # _rule below says it in plain words
        validators=[_rule(profiles.normalize_time_zone)],
    )
    submit = SubmitField("Save profile")

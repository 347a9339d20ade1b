from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.forms import Form

CODE_HINT = _l("The 6-digit code your authenticator app shows now, or one of your recovery codes.")


def code_field(label: str | None = None, description: str = CODE_HINT) -> StringField:
    """The field for a code from the app or a recovery code, on every form that asks for one."""
    return StringField(
        label or _l("Code"),
        validators=[
            DataRequired(message=_l("Enter the code from your app or a recovery code.")),
            Length(max=40, message=_l("That is longer than any code.")),
        ],
        description=description,
    )


class EnrolForm(Form):
    code = StringField(
        _l("Code from the app"),
        validators=[
            DataRequired(message=_l("Enter the 6-digit code your app shows.")),
            Length(max=40, message=_l("A code has 6 digits.")),
        ],
    )
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class RegenerateForm(Form):
    submit = SubmitField(_l("Make new recovery codes"))


class CodeForm(Form):
    code = code_field()
    trust = BooleanField(_l("Trust this browser for 30 days"))
    submit = SubmitField(_l("Sign in"))


class DisableForm(Form):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(message=_l("Enter your password."))]
    )
    code = code_field()
    submit = SubmitField(_l("Turn off two-factor sign-in"))

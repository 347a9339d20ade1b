from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.forms import Form

CODE_HINT = "The 6-digit code your authenticator app shows now, or one of your recovery codes."


def code_field(label: str = "Code", description: str = CODE_HINT) -> StringField:
    """The field for a code from the app or a recovery code, on every form that asks for one."""
    return StringField(
        label,
        validators=[
            DataRequired(message="Enter the code from your app or a recovery code."),
            Length(max=40, message="That is longer than any code."),
        ],
        description=description,
    )


class EnrolForm(Form):
    code = StringField(
        "Code from the app",
        validators=[
            DataRequired(message="Enter the 6-digit code your app shows."),
            Length(max=40, message="A code has 6 digits."),
        ],
    )
    submit = SubmitField("Turn on two-factor sign-in")


class RegenerateForm(Form):
    submit = SubmitField("Make new recovery codes")


class CodeForm(Form):
    code = code_field()
    trust = BooleanField("Trust this browser for 30 days")
    submit = SubmitField("Sign in")


class DisableForm(Form):
    password = PasswordField(
        "Your password", validators=[DataRequired(message="Enter your password.")]
    )
    code = code_field()
    submit = SubmitField("Turn off two-factor sign-in")

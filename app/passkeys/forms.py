from __future__ import annotations

from wtforms import BooleanField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.forms import Form, name_text
from app.mfa.forms import code_field
from app.services.passkeys import NAME_MAX

ANSWER_MAX = 64 * 1024  # a browser's answer is a few kilobytes
NO_ANSWER = "Your browser did not make a passkey. Try again."


class AddPasskeyForm(Form):
    name = StringField(
        "Name",
        validators=[
            DataRequired(message="Give the passkey a name, so you can tell it apart later."),
            Length(max=NAME_MAX, message=f"A name has at most {NAME_MAX} characters."),
            name_text,
        ],
        description="Where it lives, for example “Phone” or “Work laptop”.",
    )
    credential = HiddenField(
        validators=[DataRequired(message=NO_ANSWER), Length(max=ANSWER_MAX, message=NO_ANSWER)]
    )
    submit = SubmitField("Add a passkey")


class PasskeySignInForm(Form):
    credential = HiddenField(
        validators=[DataRequired(message=NO_ANSWER), Length(max=ANSWER_MAX, message=NO_ANSWER)]
    )
    remember = BooleanField()


class RemovePasskeyForm(Form):
    password = PasswordField(
        "Your password", validators=[DataRequired(message="Enter your password.")]
    )


class RemovePasskeyWithCodeForm(RemovePasskeyForm):
    code = code_field()

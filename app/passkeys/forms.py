from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.forms import Form, name_text
from app.mfa.forms import code_field
from app.services.passkeys import NAME_MAX

ANSWER_MAX = 64 * 1024  # a browser's answer is a few kilobytes
NO_ANSWER = _l("Your browser did not make a passkey. Try again.")


class AddPasskeyForm(Form):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Give the passkey a name, so you can tell it apart later.")),
            Length(
                max=NAME_MAX, message=_l("A name has at most %(max)s characters.", max=NAME_MAX)
            ),
            name_text,
        ],
        description=_l("Where it lives, for example “Phone” or “Work laptop”."),
    )
    credential = HiddenField(
        validators=[DataRequired(message=NO_ANSWER), Length(max=ANSWER_MAX, message=NO_ANSWER)]
    )
    submit = SubmitField(_l("Add a passkey"))


class PasskeySignInForm(Form):
    credential = HiddenField(
        validators=[DataRequired(message=NO_ANSWER), Length(max=ANSWER_MAX, message=NO_ANSWER)]
    )
    remember = BooleanField()


class RemovePasskeyForm(Form):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(message=_l("Enter your password."))]
    )


class RemovePasskeyWithCodeForm(RemovePasskeyForm):
    code = code_field()

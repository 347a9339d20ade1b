from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError

from app.forms import Form, entered
from app.mfa.forms import code_field
from app.models import User
from app.services import passwords
from app.services.accounts import (
    EMAIL_MAX,
    InvalidAccountData,
    normalize_email,
    normalize_username,
)

# Shown under every new-password field: each rule ``passwords.check_policy`` enforces.
NEW_PASSWORD_HINT = _l(
    "%(min)s to %(max)s characters, not containing your username or email name. "
    "A long phrase is easiest to remember.",
    min=passwords.MIN_LENGTH,
    max=passwords.MAX_LENGTH,
)


class RegistrationForm(Form):
    username = StringField(
        _l("Username"), validators=[DataRequired(message=_l("Choose a username."))]
    )
    email = StringField(
        _l("Email"), validators=[DataRequired(message=_l("Enter your email address."))]
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Choose a password."))],
        description=NEW_PASSWORD_HINT,
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[
            InputRequired(message=_l("Repeat your password.")),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
    )
    submit = SubmitField(_l("Create account"))

    def validate_username(self, field: StringField) -> None:
        try:
            field.data = normalize_username(entered(field))
        except InvalidAccountData as error:
            raise ValidationError(str(error)) from None

    def validate_email(self, field: StringField) -> None:
        try:
            field.data = normalize_email(entered(field))
        except InvalidAccountData as error:
            raise ValidationError(str(error)) from None

    def validate_password(self, field: PasswordField) -> None:
        try:
            passwords.check_policy(
                entered(field), username=self.username.data or "", email=self.email.data or ""
            )
        except passwords.PasswordPolicyError as error:
            raise ValidationError(str(error)) from None


class LoginForm(Form):
    username = StringField(
        _l("Username or email"),
        validators=[
            DataRequired(message=_l("Enter your username or email.")),
            Length(max=EMAIL_MAX, message=_l("That is longer than any username or email.")),
        ],
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(message=_l("Enter your password."))]
    )
    remember = BooleanField(_l("Remember me on this device"))
    submit = SubmitField(_l("Sign in"))


class NewPasswordMixin:
    """``password`` + ``confirm`` under the password policy, for the account in ``self.user``."""

    user: User | None = None
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=_l("Choose a new password."))],
        description=NEW_PASSWORD_HINT,
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[
            InputRequired(message=_l("Repeat the new password.")),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
    )

    def validate_password(self, field: PasswordField) -> None:
        user = self.user
        try:
            passwords.check_policy(
                entered(field),
                username=user.username if user else "",
                email=user.email if user else "",
            )
        except passwords.PasswordPolicyError as error:
            raise ValidationError(str(error)) from None


class ResetRequestForm(Form):
    email = StringField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter the email address of your account.")),
            Length(max=EMAIL_MAX, message=_l("That is longer than any email address.")),
        ],
    )
    submit = SubmitField(_l("Send reset link"))


class ResetPasswordForm(NewPasswordMixin, Form):
    submit = SubmitField(_l("Set new password"))


class ReauthenticateForm(Form):
    password = PasswordField(
        _l("Password"), validators=[InputRequired(message=_l("Enter your password."))]
    )
    submit = SubmitField(_l("Confirm"))


class ReauthenticateWithCodeForm(ReauthenticateForm):
    """Re-authentication of a member with two-factor sign-in on: the password and a code."""

    code = code_field(_l("Code from your authenticator app"), _l("Or one of your recovery codes."))
    submit = SubmitField(_l("Confirm"))


class ChangePasswordForm(NewPasswordMixin, Form):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Enter your current password."))],
    )
    submit = SubmitField(_l("Change password"))


class ChangeEmailForm(Form):
    email = StringField(
        _l("New email address"),
        validators=[DataRequired(message=_l("Enter your new email address."))],
    )
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Enter your current password."))],
    )
    submit = SubmitField(_l("Send confirmation link"))

    def validate_email(self, field: StringField) -> None:
        try:
            field.data = normalize_email(entered(field))
        except InvalidAccountData as error:
            raise ValidationError(str(error)) from None


class DeleteAccountForm(Form):
    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(message=_l("Enter your password to confirm."))],
    )
    submit = SubmitField(_l("Delete my account"))

"""Form helpers shared by every blueprint."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import g, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, HiddenField
from wtforms.validators import ValidationError

from app.services import submissions
from app.text import has_invisible_controls

View = TypeVar("View", bound=Callable[..., object])


SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Never shown back, even on the pages that rescue a form's text.
SECRET_FIELDS = frozenset({"csrf_token", "password", "confirm", "current_password"})
# The status of a form shown again with errors: the request was understood but not accepted.
INVALID_FORM = 422


class Form(FlaskForm):
    """The base of every form.

    It reads only ordinary form fields: an uploaded file or a JSON body under a field's name is
    ignored rather than handed to validators that expect text. And after a failed CSRF check
    (see ``rerender_on_csrf_error``) it never validates, so a re-shown form cannot act.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        if not args and "formdata" not in kwargs and request.method in SUBMIT_METHODS:
            kwargs["formdata"] = request.form
        super().__init__(*args, **kwargs)

    def validate_on_submit(self, extra_validators: object = None) -> bool:
        valid = super().validate_on_submit(extra_validators)  # type: ignore[arg-type]
        return bool(valid) and not g.get("csrf_failed", False)


def typed_fields(form: MultiDict[str, str]) -> list[tuple[str, str]]:
    """What a person typed into a form that could not be saved, to show back (no secrets)."""
    return [
        (name, value)
        for name, value in form.items(multi=True)
        if name not in SECRET_FIELDS and value.strip()
    ]


class CreateForm(Form):
    """A form that creates something (a post, a comment): sent at most once.

    It carries a one-time token (``app/services/submissions.py``); a replay of the same
    submission leads to what the first one created.
    """

    submission_token = HiddenField(default=submissions.new_token)

    def validate_submission_token(self, field: HiddenField) -> None:
        if not submissions.is_token(field.data):
            raise ValidationError(
                "This form is missing its one-time code. Reload the page and send it again "
                "(copy your text first)."
            )

    def validate(self, extra_validators: object = None) -> bool:
        valid = super().validate(extra_validators)  # type: ignore[arg-type]
        self.form_errors.extend(self.submission_token.errors)  # a hidden field shows no errors
        return valid


def form_status(form: FlaskForm) -> int:
    """200 for a blank form, INVALID_FORM for one that was sent and is shown again."""
    return INVALID_FORM if form.is_submitted() else 200


def rerender_on_csrf_error(view: View) -> View:
    """Mark a form view to be shown again, with the user's input kept, when its CSRF check fails.

    The CSRF error handler (app/errors) sets ``g.csrf_failed`` and calls the view once more; its
    ``Form`` then refuses to validate, so nothing is saved and the page comes back with the input,
    a message and a 400 status.
    """
    view.rerender_on_csrf_error = True  # type: ignore[attr-defined]
    return view


def plain_text(form: object, field: Field) -> None:
    """WTForms validator: no NUL, control characters or others XML forbids (``app/text.py``).

    PostgreSQL cannot store NUL, and the feed and sitemap must stay well-formed.
    """
    if field.data and has_invisible_controls(field.data):
        raise ValidationError("Remove the invisible control characters from this text.")

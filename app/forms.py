"""Form helpers shared by every blueprint."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from flask import request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Field, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.meta import DefaultMeta
from wtforms.validators import ValidationError

from app.services import submissions
from app.text import has_invisible_controls, hides_or_reorders

if TYPE_CHECKING:
    from _typeshed import SupportsItems

SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Never shown back, even on the pages that rescue a form's text.
SECRET_FIELDS = frozenset({"csrf_token", "password", "confirm", "current_password", "code"})
# Sent by the form itself, not typed: not worth showing back.
FORM_MACHINERY = frozenset({"submission_token", "submit", "credential"})
# The rows of the post editor's body (posts/edit.html), and of long text shown back read-only.
EDITOR_ROWS = 18
# The status of a form shown again with errors: the request was understood but not accepted.
INVALID_FORM = 422


class FocusMeta(DefaultMeta):
    """Puts ``autofocus`` on the first field in error, and on no other, once a form was sent
    back with errors; until then the template's choice (``autofocus=True``) stands.

    It also keeps WTForms from copying a ``Length`` validator's maximum into ``maxlength``: a
    browser cuts a longer paste there without a word, so the text that arrives is not what was
    written. Limits are stated in the field's hint and enforced as form errors instead; only a
    template that passes ``maxlength`` itself (a username, an address) gets one.
    """

    first_invalid: Callable[[], str | None] = staticmethod(lambda: None)
    focused = False

    def render_field(self, field: Field, render_kw: SupportsItems[str, Any]) -> Markup:
        render_kw = {"maxlength": False, **dict(render_kw.items())}
        invalid = self.first_invalid()
        if invalid is not None:
            focus = field.name == invalid and not self.focused  # a radio group's first option
            self.focused = self.focused or focus
            render_kw = {**dict(render_kw.items()), "autofocus": focus}
        return super().render_field(field, render_kw)


class Form(FlaskForm):
    """The base of every form.

    It reads only ordinary form fields: an uploaded file or a JSON body under a field's name is
    ignored rather than handed to validators that expect text. (A failed CSRF check never
    reaches a view: ``app/errors`` answers it with a page that shows what was sent, read-only.)
    Shown again with errors, the first field in error has the focus (``FocusMeta``).
    """

    class Meta(FocusMeta):
        pass

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not args and "formdata" not in kwargs and request.method in SUBMIT_METHODS:
            kwargs["formdata"] = request.form
        super().__init__(*args, **kwargs)
        meta: FocusMeta = self.meta  # type: ignore[assignment]  # Meta above is a FocusMeta
        meta.first_invalid = self.first_invalid

    def first_invalid(self) -> str | None:
        """The name of the first field a person can correct that has an error, if any."""
        return next(
            (field.name for field in self if field.errors and field.type not in UNFOCUSABLE),
            None,
        )


UNFOCUSABLE = frozenset({"HiddenField", "CSRFTokenField"})


class Kept(NamedTuple):
    """A value typed into a form that could not be saved, the rows to show it in, and the
    label of its field (in the reader's language when shown)."""

    name: str
    value: str
    rows: int
    label: str


def _text_field_kinds() -> dict[str, tuple[int, Any]]:
    """Every name a form of this app uses for typed text, with the rows its value deserves
    (text areas as large as the editor, one-line fields two) and its label (lazy, from the
    first form that declares the name). Choices (radio buttons, selects, checkboxes), buttons,
    hidden and password fields are not typed text."""
    forms: list[type[Form]] = [Form]
    found: dict[str, tuple[int, Any]] = {}
    while forms:
        form = forms.pop()
        forms.extend(form.__subclasses__())
        for name in dir(form):
            unbound = getattr(form, name, None)
            if not isinstance(unbound, UnboundField):
                continue
            kind = unbound.field_class
            if issubclass(kind, StringField) and not issubclass(kind, PasswordField | HiddenField):
                lines = EDITOR_ROWS if issubclass(kind, TextAreaField) else 2
                label = unbound.args[0] if unbound.args else unbound.kwargs.get("label")
                rows, known = found.get(name, (0, None))
                found[name] = (max(rows, lines), known or label)
    return found


def typed_fields(form: MultiDict[str, str]) -> list[Kept]:
    """What a person typed into a form that could not be saved, to show back: only the text
    fields of the app's forms (no secrets, choices, buttons or fields no form declares)."""
    kinds = _text_field_kinds()
    return [
        Kept(name, value, kinds[name][0], str(kinds[name][1] or name.replace("_", " ").title()))
        for name, value in form.items(multi=True)
        if name in kinds and name not in SECRET_FIELDS | FORM_MACHINERY and value.strip()
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
                _(
                    "This form is missing its one-time code. Reload the page and send it again "
                    "(copy your text first)."
                )
            )

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators)
        self.form_errors.extend(self.submission_token.errors)  # a hidden field shows no errors
        return valid


def entered(field: StringField) -> str:
    """The text of a field that a validator requires (``DataRequired``, ``InputRequired``).

    WTForms types ``data`` as possibly None (a field absent from the request); once the form has
    validated, or in an inline validator that runs after the required one, it is the text.
    """
    if field.data is None:
        raise ValueError(f"{field.name} was read before it was validated")
    return field.data


def add_error(field: Field, message: str) -> None:
    """Show ``message`` under ``field`` after validation, as a failed validator would."""
    field.errors = [*field.errors, message]


def form_status(form: FlaskForm) -> int:
    """200 for a blank form, INVALID_FORM for one that was sent and is shown again."""
    return INVALID_FORM if form.is_submitted() else 200


def name_text(form: object, field: Field) -> None:
    """WTForms validator for short names: nothing that can hide or reorder what is shown."""
    if field.data and hides_or_reorders(field.data):
        raise ValidationError(_("Remove the invisible or control characters from this name."))


def plain_text(form: object, field: Field) -> None:
    """WTForms validator: no NUL, control characters or others XML forbids (``app/text.py``).

    PostgreSQL cannot store NUL, and the feed and sitemap must stay well-formed.
    """
    if field.data and has_invisible_controls(field.data):
        raise ValidationError(_("Remove the invisible control characters from this text."))

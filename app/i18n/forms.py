from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField
from wtforms.validators import AnyOf, InputRequired

from app.forms import Form
from app.services.i18n import LANGUAGES


class LanguageLinkForm(Form):
    """The query of a visitor's switch links (a GET, so no CSRF token: see routes.py)."""

    class Meta:
        csrf = False

    lang = HiddenField(_l("Language"), validators=[InputRequired(), AnyOf(tuple(LANGUAGES))])
    next = HiddenField()


class LanguageForm(Form):
    """A member's switch: a POST with a CSRF token, since it saves their preference."""

    lang = HiddenField(_l("Language"), validators=[InputRequired(), AnyOf(tuple(LANGUAGES))])
    next = HiddenField()

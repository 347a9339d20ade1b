from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, InputRequired

from app.forms import Form
from app.services.theme import THEMES


class ThemeForm(Form):
    """The query of the footer's switch links (a GET, so no CSRF token: see routes.py)."""

    class Meta:
        csrf = False

    theme = StringField(_l("Theme"), validators=[InputRequired(), AnyOf(THEMES)])
    next = HiddenField()

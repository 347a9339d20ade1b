from __future__ import annotations

from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, InputRequired

from app.forms import Form
from app.services.theme import THEMES


class ThemeForm(Form):
    """Sent by GET from every page's footer, so it carries no CSRF token (see routes.py)."""

    class Meta:
        csrf = False

    theme = StringField("Theme", validators=[InputRequired(), AnyOf(THEMES)])
    next = HiddenField()

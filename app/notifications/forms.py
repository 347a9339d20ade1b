from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SubmitField

from app.forms import Form


class NotificationSettingsForm(Form):
    comments = BooleanField(_l("Someone comments on one of my posts"))
    replies = BooleanField(_l("Someone replies to one of my comments"))
    submit = SubmitField(_l("Save settings"))

from __future__ import annotations

from wtforms import BooleanField, SubmitField

from app.forms import Form


class NotificationSettingsForm(Form):
    comments = BooleanField("Someone comments on one of my posts")
    replies = BooleanField("Someone replies to one of my comments")
    submit = SubmitField("Save settings")

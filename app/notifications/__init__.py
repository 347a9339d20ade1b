"""Notification mail settings: the account page and the one-click unsubscribe links."""

from app.notifications.routes import bp

__all__ = ["bp"]

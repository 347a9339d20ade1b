"""Outgoing mail: text and HTML parts, over SMTP (Flask-Mailman) or to the log without a server."""

from __future__ import annotations

import logging

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives
from flask_mailman.backends.base import BaseEmailBackend

from app.models import User

logger = logging.getLogger("inkwell.mail")


class LogEmailBackend(BaseEmailBackend):
    """Development without MAIL_SERVER: each message goes to the log instead of a mail server."""

    def send_messages(self, email_messages: list[EmailMultiAlternatives]) -> int:
        for message in email_messages:
            logger.info(
                "Mail not sent (no MAIL_SERVER) to %s: %s\n%s",
                ", ".join(message.to),
                message.subject,
                message.body,
            )
        return len(email_messages)


def send(to: str, subject: str, template: str, **context: object) -> None:
    """Render ``mail/<template>.txt`` and ``.html`` and send them as one message to ``to``."""
    site = current_app.config["SITE_NAME"]
    context = {"site_name": site, "site_url": current_app.config["SITE_URL"], **context}
    message = EmailMultiAlternatives(
        subject=f"[{site}] {subject}",
        body=render_template(f"mail/{template}.txt", **context),
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
    )
    message.attach_alternative(render_template(f"mail/{template}.html", **context), "text/html")
    message.send()


def password_changed(user: User) -> None:
    send(user.email, "Your password was changed", "password_changed", user=user)


def email_change_confirm(user: User, new_email: str, url: str) -> None:
    send(new_email, "Confirm your new email address", "email_confirm", user=user, url=url)


def email_changed(user: User, old_email: str) -> None:
    send(old_email, "Your email address was changed", "email_changed", user=user)


def password_reset(user: User, url: str) -> None:
    send(user.email, "Reset your password", "password_reset", user=user, url=url)

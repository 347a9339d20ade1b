# Flask-Mailman 1.1 ships no type hints: the part of its API that Inkwell uses, typed.
# Checked against the installed package by `make test` (mypy's stubtest).
from collections.abc import Sequence
from email.message import Message
from typing import Any

from flask import Flask
from flask_mailman.backends.base import BaseEmailBackend

class Mail:
    def __init__(self, app: Flask | None = None) -> None: ...
    def init_app(self, app: Flask) -> None: ...

class EmailMessage:
    subject: str
    body: str
    from_email: str | None
    to: list[str]
    def __init__(
        self,
        subject: str = "",
        body: str = "",
        from_email: str | None = None,
        to: Sequence[str] | None = None,
        bcc: Sequence[str] | None = None,
        connection: BaseEmailBackend | None = None,
        attachments: Sequence[Any] | None = None,
        headers: dict[str, str] | None = None,
        cc: Sequence[str] | None = None,
        reply_to: Sequence[str] | None = None,
    ) -> None: ...
    def message(self) -> Message: ...
    def send(self, fail_silently: bool = False) -> int: ...

class EmailMultiAlternatives(EmailMessage):
    alternatives: list[tuple[str, str]]
    def __init__(
        self,
        subject: str = "",
        body: str = "",
        from_email: str | None = None,
        to: Sequence[str] | None = None,
        bcc: Sequence[str] | None = None,
        connection: BaseEmailBackend | None = None,
        attachments: Sequence[Any] | None = None,
        headers: dict[str, str] | None = None,
        alternatives: Sequence[tuple[str, str]] | None = None,
        cc: Sequence[str] | None = None,
        reply_to: Sequence[str] | None = None,
    ) -> None: ...
    def attach_alternative(self, content: str, mimetype: str) -> None: ...

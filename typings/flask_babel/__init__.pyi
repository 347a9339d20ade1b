# Flask-Babel 4 ships no type hints: the part of its API that Inkwell uses. Checked against the
# installed package by `make test` (stubtest). ``lazy_gettext`` returns a LazyString that acts as
# a str wherever one is read (WTForms labels and messages), so it is typed as one.
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Flask

class Babel:
    def __init__(
        self,
        app: Flask | None = None,
        date_formats: dict[str, str] | None = None,
        configure_jinja: bool = True,
        *args: Any,
        **kwargs: Any,
    ) -> None: ...
    def init_app(
        self,
        app: Flask,
        default_locale: str = "en",
        default_domain: str = "messages",
        default_translation_directories: str = "translations",
        default_timezone: str = "UTC",
        locale_selector: Callable[[], str | None] | None = None,
        timezone_selector: Callable[[], str | None] | None = None,
    ) -> None: ...

def get_locale() -> Locale | None: ...
def get_translations() -> Translations | NullTranslations: ...
def refresh() -> None: ...
@contextmanager
def force_locale(locale: str | Locale) -> Iterator[None]: ...
def format_date(
    date: date | datetime | None = None, format: str | None = None, rebase: bool = True
) -> str: ...
def format_datetime(
    datetime: datetime | None = None, format: str | None = None, rebase: bool = True
) -> str: ...
def format_time(
    time: time | datetime | None = None, format: str | None = None, rebase: bool = True
) -> str: ...
def format_timedelta(
    datetime_or_timedelta: datetime | timedelta,
    granularity: str = "second",
    add_direction: bool = False,
    threshold: float = 0.85,
) -> str: ...
def format_decimal(number: float, format: str | None = None) -> str: ...
def gettext(*args: Any, **kwargs: Any) -> str: ...
def ngettext(*args: Any, **kwargs: Any) -> str: ...
def lazy_gettext(*args: Any, **kwargs: Any) -> str: ...
def lazy_ngettext(*args: Any, **kwargs: Any) -> str: ...
def lazy_pgettext(*args: Any, **kwargs: Any) -> str: ...

"""Friendly error pages: no traceback, SQL or library names ever reach the browser."""

from app.errors.handlers import bp

__all__ = ["bp"]

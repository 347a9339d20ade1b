"""The language switch in every page's footer."""

from app.i18n.routes import bp

__all__ = ["bp"]

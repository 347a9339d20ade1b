"""The theme switch in every page's footer."""

from app.theme.routes import bp

__all__ = ["bp"]

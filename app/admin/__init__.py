"""Pages for running the site; admins only."""

from app.admin.routes import bp

__all__ = ["bp"]

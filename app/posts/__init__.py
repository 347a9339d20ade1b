"""Writing: posts (new, edit, delete) and comments."""

from app.posts.routes import bp

__all__ = ["bp"]

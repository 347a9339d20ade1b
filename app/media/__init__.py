"""Images: the member's library (upload, delete), the avatar page, and serving the files."""

from app.media.routes import bp

__all__ = ["bp"]

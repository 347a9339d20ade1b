"""Discovery: the archive by month, the list of tags, and each tag's and author's feed."""

from app.discover.routes import bp

__all__ = ["bp"]

"""The site's identity: the admin settings page, and ``site`` in every template."""

from app.site_settings.routes import bp

__all__ = ["bp"]

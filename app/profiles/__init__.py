"""Profiles: the member's own profile form, and the avatar helpers every byline uses."""

from app.profiles.routes import bp

__all__ = ["bp"]

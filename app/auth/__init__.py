"""Registration, sign-in and sign-out."""

from app.auth.routes import bp

__all__ = ["bp"]

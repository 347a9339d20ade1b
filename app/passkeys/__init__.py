"""Passkeys (WebAuthn): adding and removing them on the security page, and signing in with one."""

from app.passkeys.routes import bp

__all__ = ["bp"]

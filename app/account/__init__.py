"""The signed-in member's own account: password, devices and sign-in history."""

from app.account.routes import bp

__all__ = ["bp"]

"""Two-factor sign-in: the security page (enrolment, recovery codes) and the code step."""

from app.mfa.routes import bp

__all__ = ["bp"]

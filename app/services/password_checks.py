"""Which requests count against the shared budget of password checks: wrong passwords only.

Every form that asks a signed-in member for their password (re-authentication, password change,
account deletion, …) shares one Flask-Limiter budget, ``limit_password_checks`` in
``app/auth/routes.py``, so a stolen session cannot be used to guess the password. The limiter
deducts after the response, and only from a request marked here: a mismatched confirmation, a
too-weak new password or an empty field is no guess and costs nothing.

``accounts.check_password`` marks the request when the password is wrong; any other check of a
signed-in member's password calls ``note_wrong_password()`` the same way.
"""

from __future__ import annotations

from flask import g


def note_wrong_password() -> None:
    """Count this request against the member's budget of password checks."""
    g.wrong_password = True


def wrong_password_noted() -> bool:
    """Whether this request was given a wrong password (read by the limiter after the view)."""
    return bool(g.get("wrong_password", False))

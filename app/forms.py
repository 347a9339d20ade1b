"""Form helpers shared by every blueprint."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

View = TypeVar("View", bound=Callable[..., object])


def rerender_on_csrf_error(view: View) -> View:
    """Mark a form view to be shown again, with the user's input kept, when its CSRF token fails.

    The CSRF error handler (app/errors) calls the view once more; its form then fails validation on
    the same token, so nothing is saved and the page comes back with a message and a 400 status.
    """
    view.rerender_on_csrf_error = True  # type: ignore[attr-defined]
    return view

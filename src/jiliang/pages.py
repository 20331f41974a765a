"""What the apps' pages share: a page for signed-in users sends a visitor to sign in first.

A page's access check raises ``SignInFirst`` for a visitor who is not signed in (so the
check stays one function that also decides 403s); ``login_first`` turns it into the
redirect to the sign-in page, and a ``PolicyRefusal`` into 403 (404 when the row is not
the actor's to see at all).
"""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from jiliang.policies import PolicyRefusal


class SignInFirst(Exception):
    """Raised for a visitor who is not signed in: the answer is the sign-in page."""


def login_first(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except SignInFirst:
            return redirect_to_login(request.get_full_path())
        except PolicyRefusal as exc:
            if exc.hidden:
                raise Http404(str(exc)) from None
            raise PermissionDenied(str(exc)) from None

    return wrapped


def perform(request, step, success: str) -> None:
    """A page's action: ``step()`` run, its success said as a message; a refusal said as an
    error message in the reader's language, or 403 when the actor may not act at all."""
    from django.contrib import messages

    from jiliang.registry.services import Refused

    try:
        step()
    except Refused as exc:
        if exc.forbidden:
            raise PermissionDenied(exc.reasons_text()) from None
        messages.error(request, exc.reasons_text())
    else:
        messages.success(request, success)

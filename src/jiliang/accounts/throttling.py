"""Password-login throttling: failures are counted per (username, client address) in the
cache; after ``JILIANG_LOGIN_MAX_FAILURES`` the pair is locked out for
``JILIANG_LOGIN_LOCKOUT_SECONDS``, even for the right password."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def max_failures() -> int:
    return int(getattr(settings, "JILIANG_LOGIN_MAX_FAILURES", 5))


def lockout_seconds() -> int:
    return int(getattr(settings, "JILIANG_LOGIN_LOCKOUT_SECONDS", 15 * 60))


def client_address(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"


def _key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{(username or '').strip().lower()}|{address}".encode()).hexdigest()
    return f"jiliang:login-failures:{digest}"


def is_locked_out(username: str, request) -> bool:
    return cache.get(_key(username, client_address(request)), 0) >= max_failures()


def record_failure(username: str, request) -> int:
    key = _key(username, client_address(request))
    if cache.add(key, 1, lockout_seconds()):
        return 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, lockout_seconds())
        count = 1
    if count >= max_failures():
        cache.touch(key, lockout_seconds())  # the lockout runs from the last failure
    return count


def reset(username: str, request) -> None:
    cache.delete(_key(username, client_address(request)))


LOCKED_OUT_MESSAGE = "too many failed logins for this user from this address; try again later"


# ---------------------------------------------------------------------------- API rates


class FixedWindowMixin:
    """DRF's rate throttles keep a list of every request time in the window and pickle it
    on each request: O(rate). A counter per window costs O(1), at the price of allowing
    up to twice the rate across a window boundary."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        key = f"{self.key}:{window}"
        if self.cache.add(key, 1, self.duration + 1):
            count = 1
        else:
            try:
                count = self.cache.incr(key)
            except ValueError:
                self.cache.set(key, 1, self.duration + 1)
                count = 1
        self._window_end = (window + 1) * self.duration
        return count <= self.num_requests

    def wait(self):
        return max(0.0, self._window_end - self.now)


from rest_framework.throttling import AnonRateThrottle, UserRateThrottle  # noqa: E402


class AnonWindowThrottle(FixedWindowMixin, AnonRateThrottle):
    """Requests without a user, counted per client address (scope "anon")."""


class UserWindowThrottle(FixedWindowMixin, UserRateThrottle):
    """Requests of a signed-in user, counted per user (scope "user")."""

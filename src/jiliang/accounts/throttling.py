"""Password-login throttling, shared by the pages' sign-in, the admin's and the API's.

Failures are counted in the shared counters (jiliang.cache: a table of the database by
default, Redis when configured), so every server process and worker sees the same counts. Three
counters, each with its own limit, and any one at its limit refuses the login, even with
the right password, for ``JILIANG_LOGIN_LOCKOUT_SECONDS`` after the last failure:

- per (username, client address): ``JILIANG_LOGIN_MAX_FAILURES`` (one guesser, one account);
- per client address, whatever the username: ``JILIANG_LOGIN_MAX_FAILURES_PER_ADDRESS``
  (one address spraying passwords over many usernames);
- per username, from any address: ``JILIANG_LOGIN_MAX_FAILURES_PER_USERNAME`` (many
  addresses guessing one account).

A successful login clears its (username, address) and username counters, never the
address's: an attacker with an account of its own could otherwise reset its spraying count.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from jiliang.cache import counters


def max_failures() -> int:
    return int(getattr(settings, "JILIANG_LOGIN_MAX_FAILURES", 5))


def max_failures_per_address() -> int:
    return int(getattr(settings, "JILIANG_LOGIN_MAX_FAILURES_PER_ADDRESS", 20))


def max_failures_per_username() -> int:
    return int(getattr(settings, "JILIANG_LOGIN_MAX_FAILURES_PER_USERNAME", 10))


def lockout_seconds() -> int:
    return int(getattr(settings, "JILIANG_LOGIN_LOCKOUT_SECONDS", 15 * 60))


def client_address(request) -> str:
    """The client's address as DRF's throttles see it: REMOTE_ADDR, or behind
    ``NUM_PROXIES`` trusted reverse proxies the address they saw (X-Forwarded-For)."""
    if request is None:
        return "unknown"
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or "unknown"
    proxies = api_settings.NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return remote


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"jiliang:login-failures:{kind}:{digest}"


def _limits(username: str, request) -> list[tuple[str, int]]:
    """(cache key, limit) of each counter a login attempt counts against."""
    name = (username or "").strip().lower()
    address = client_address(request)
    return [
        (_key("pair", name, address), max_failures()),
        (_key("address", address), max_failures_per_address()),
        (_key("username", name), max_failures_per_username()),
    ]


def is_locked_out(username: str, request) -> bool:
    limits = _limits(username, request)
    counts = counters().get_many([key for key, _ in limits])
    return any(counts.get(key, 0) >= limit for key, limit in limits)


def record_failure(username: str, request) -> int:
    """Counts a failed login (each count lasts the lockout time from the latest failure);
    returns the (username, address) pair's count."""
    store = counters()
    return [store.hit(key, lockout_seconds(), sliding=True) for key, _ in _limits(username, request)][0]


def reset(username: str, request) -> None:
    pair, _address, name = (key for key, _ in _limits(username, request))
    counters().delete_many([pair, name])


LOCKED_OUT_MESSAGE = "too many failed logins for this user or from this address; try again later"


# ---------------------------------------------------------------------------- API rates


class FixedWindowMixin:
    """DRF's rate throttles keep a list of every request time in the window and pickle it
    on each request: O(rate). A counter per window (one shared-counter hit) costs O(1), at
    the price of allowing up to twice the rate across a window boundary."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        count = counters().hit(f"{self.key}:{window}", self.duration + 1)
        self._window_end = (window + 1) * self.duration
        return count <= self.num_requests

    def wait(self):
        return max(0.0, self._window_end - self.now)


class AnonWindowThrottle(FixedWindowMixin, AnonRateThrottle):
    """Requests without a user, counted per client address (scope "anon")."""


class UserWindowThrottle(FixedWindowMixin, UserRateThrottle):
    """Requests of a signed-in user, counted per user (scope "user")."""


class ScopedWindowThrottle(FixedWindowMixin, ScopedRateThrottle):
    """Requests to a view with a ``throttle_scope``, counted per user or client address."""

    def allow_request(self, request, view):
        # As ScopedRateThrottle: the view's scope names the rate, then the counter decides.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return FixedWindowMixin.allow_request(self, request, view)

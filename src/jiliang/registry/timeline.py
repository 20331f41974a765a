"""One standard's whole history on one page: what each app contributes to it.

The registry knows the standard's own status changes; the assessment files (计量标准考核),
the stability and in-service checks (期间核查) and whatever comes later live in their own
apps. Each app registers a provider here from its AppConfig.ready(), so the registry never
imports them (the layers test keeps it so) and the page asks every provider once.

A provider is ``fn(standard, actor) -> iterable of Entry``; it returns only what that actor
may see (it asks its own policy) and links only to pages the actor may open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from jiliang.policies import Actor


@dataclass(frozen=True)
class Entry:
    on: date
    kind: str  # a short code the template styles by: "status", "application", "check", ...
    title: str  # translated, in the reader's language
    detail: str = ""
    url: str | None = None


Provider = Callable[[object, Actor], Iterable[Entry]]
PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add a provider once (AppConfig.ready may run more than once in tests)."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


@register
def status_changes(standard, actor: Actor) -> Iterable[Entry]:
    for change in standard.status_changes.order_by("effective_on", "id"):
        yield Entry(
            on=change.effective_on,
            kind="status",
            title=str(_("状态变更：%(status)s") % {"status": change.get_status_display()}),
            detail=change.reason,
        )


def history(standard, actor: Actor) -> list[Entry]:
    """Every provider's entries for the standard, newest first (same day: in provider order)."""
    entries: list[Entry] = []
    for provider in PROVIDERS:
        entries.extend(provider(standard, actor))
    return sorted(entries, key=lambda entry: entry.on, reverse=True)

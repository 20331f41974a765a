"""The acting user's role and scope: kept here for callers of the accounts app; the
definitions live in ``jiliang.policies`` (below every app, so the registry imports them
without importing accounts)."""

from jiliang.policies import (  # noqa: F401  (re-exported)
    ANONYMOUS,
    AUDITOR,
    ENTERPRISE,
    NATIONAL,
    PUBLIC,
    REGION_ADMIN,
    REGION_CACHE_SECONDS,
    STAFF,
    Actor,
    actor_for,
    clear_region_cache,
    region_ids_within,
    region_tree,
)

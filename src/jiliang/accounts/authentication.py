"""DRF authentication by API token: ``Authorization: Bearer jl_<prefix>_<secret>``."""

from __future__ import annotations

import datetime as dt
import weakref
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models.sql import Query
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from jiliang.registry.models import Region

from .models import ApiToken, Membership

# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@cache
def _token_query(vendor: str) -> tuple[str, tuple]:
    """SELECT of a token with its user, the user's membership and its region, in one join:
    what ``select_related`` would fetch, without compiling the ORM query on every request
    (that compilation was a fifth of a list request's time)."""
    from django.contrib.auth import get_user_model

    quote = connection.ops.quote_name
    parts = [(ApiToken, "t"), (get_user_model(), "u"), (Membership, "m"), (Region, "r")]
    columns, layout, expressions = [], [], []
    for model, alias in parts:
        names = tuple(f.attname for f in model._meta.concrete_fields)
        layout.append((model, names))
        columns.extend(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)
        expressions.extend(f.get_col(alias) for f in model._meta.concrete_fields)
    table = {alias: quote(model._meta.db_table) for model, alias in parts}
    sql = (
        f"SELECT {', '.join(columns)} FROM {table['t']} t "
        f"JOIN {table['u']} u ON u.{quote('id')} = t.{quote('user_id')} "
        f"LEFT JOIN {table['m']} m ON m.{quote('user_id')} = u.{quote('id')} "
        f"LEFT JOIN {table['r']} r ON r.{quote('id')} = m.{quote('region_id')} "
        f"WHERE t.{quote('prefix')} = %s"
    )
    return sql, tuple(layout), expressions


# Per connection (each thread has its own): the converters are bound to it.
_converters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def token_with_user(prefix: str) -> ApiToken | None:
    """The token of ``prefix`` with ``user``, ``user.membership`` and its ``region``
    loaded (as ``select_related`` would), or None."""
    db = connections[DEFAULT_DB_ALIAS]  # this thread's connection, not the proxy
    sql, layout, expressions = _token_query(db.vendor)
    with db.cursor() as cursor:
        cursor.execute(sql, [prefix])
        values = cursor.fetchone()
    if values is None:
        return None
    # The database's values as the ORM would give them (SQLite: datetimes from text).
    converters = _converters.get(db)
    if converters is None:
        compiler = db.ops.compiler("SQLCompiler")(Query(ApiToken), db, db.alias)
        converters = _converters[db] = (compiler, compiler.get_converters(expressions))
    compiler, column_converters = converters
    if column_converters:
        values = next(compiler.apply_converters([values], column_converters))
    objects, start = [], 0
    for model, names in layout:
        chunk = values[start : start + len(names)]
        start += len(names)
        # A missing membership or region comes back as a row of NULLs.
        objects.append(None if chunk[0] is None else model.from_db(db.alias, names, chunk))
    token, user, membership, region = objects
    token._state.fields_cache["user"] = user
    user._state.fields_cache["membership"] = membership  # None: the reverse accessor raises DoesNotExist
    if membership is not None:
        membership._state.fields_cache["user"] = user
        membership._state.fields_cache["region"] = region
    return token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in ("bearer", "token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header: expected 'Bearer <token>'")
        token = header[1].decode(errors="replace")
        prefix = ApiToken.split(token)
        if prefix is None:
            raise exceptions.AuthenticationFailed("token: malformed")
        row = token_with_user(prefix)
        if row is None or not row.matches(token):
            raise exceptions.AuthenticationFailed("token: unknown")
        now = timezone.now()
        if row.revoked_at is not None:
            raise exceptions.AuthenticationFailed("token: revoked")
        if row.expires_at is not None and row.expires_at <= now:
            raise exceptions.AuthenticationFailed("token: expired")
        if not row.user.is_active:
            raise exceptions.AuthenticationFailed("token: user is inactive")
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return row.user, row

    def authenticate_header(self, request):
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token scheme in the OpenAPI schema (drf-spectacular finds it by class)."""

    target_class = "jiliang.accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "an API token from POST /api/tokens/: jl_<prefix>_<secret>"}

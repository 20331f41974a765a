"""Model instances for a list page without ``Model.__init__``.

``Model.__init__`` sets each column through its descriptor and sends two signals; for a
page of 50 to 500 rows that was about a sixth of a list request. A plain query of one
model's own columns (no select_related, annotations, deferred columns) on a model
nobody listens to at init gets its instances filled directly: the same attributes and
state ``Model.from_db`` gives. Anything else goes the ORM's way.
"""

from __future__ import annotations

from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.query import ModelIterable
from django.db.models.signals import post_init, pre_init


def _plain(queryset) -> bool:
    query = queryset.query
    model = query.model
    return not (query.select_related or query.annotation_select or query.extra_select
                or query.deferred_loading != (frozenset(), True) or queryset._known_related_objects
                or type(model).__init__ is not type.__init__ or model.__init__ is not Model.__init__
                or model.from_db.__func__ is not Model.from_db.__func__
                or pre_init.has_listeners(model) or post_init.has_listeners(model))


class PlainModelIterable(ModelIterable):
    def __iter__(self):
        queryset = self.queryset
        if not _plain(queryset):
            yield from super().__iter__()
            return
        db = queryset.db
        compiler = queryset.query.get_compiler(using=db)
        results = compiler.execute_sql(chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size)
        model = compiler.klass_info["model"]
        fields = compiler.klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        attnames = [column.target.attname for column, _, _ in compiler.select[start:end]]
        whole = (start, end) == (0, len(compiler.select)) and len(attnames) == len(model._meta.concrete_fields)
        new = model.__new__
        for row in compiler.results_iter(results):
            if not whole:
                yield model.from_db(db, attnames, row[start:end])
                continue
            obj = new(model)
            values = obj.__dict__
            values.update(zip(attnames, row))
            state = ModelState()
            state.adding = False
            state.db = db
            values["_state"] = state
            yield obj


def plain_rows(queryset):
    """``queryset`` yielding its instances through ``PlainModelIterable``."""
    if queryset._iterable_class is not ModelIterable:
        return queryset  # values(), values_list(): leave alone
    queryset = queryset.all()
    queryset._iterable_class = PlainModelIterable
    return queryset

"""A fixed-shape `values_list` query compiled to SQL once per database, then run with each
request's parameters.

Django compiles a queryset to SQL on every evaluation: for the token lookup and the task
page that is more time than the database takes to answer (bench/task_list.py's profile).
Their shape never changes, only the parameters, so we compile once with marker values,
note which SQL parameter is which marker, and keep the compiler's converters, so rows come
back exactly as `values_list` returns them (SQLite's text datetimes parsed, and so on).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], *markers) -> None:
        """`build(*markers)` returns the `values_list` queryset, unsliced; each marker is a
        value no real parameter has (a negative id, an impossible key), used where the SQL
        takes it as given (exact, gt, lt, ...; not `startswith`, whose value is rewritten)."""
        self._build = build
        self._markers = markers
        self._prepared: dict[str, tuple] = {}

    def _prepare(self, alias: str) -> tuple:
        query = self._build(*self._markers).query
        compiler = query.get_compiler(alias)
        sql, params = compiler.as_sql()
        if not set(self._markers) <= set(params):
            raise ValueError(f"a marker is not a parameter of {sql}")
        slots = [self._markers.index(param) for param in params]  # ValueError: a constant
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        return query, sql, slots, converters

    def rows(self, *args, offset: int = 0, limit: int | None = None) -> Sequence[Sequence]:
        """The rows for `args` (in the markers' order), sliced like `queryset[offset:offset +
        limit]`."""
        connection = connections[DEFAULT_DB_ALIAS]
        prepared = self._prepared.get(connection.alias)
        if prepared is None:
            prepared = self._prepared[connection.alias] = self._prepare(connection.alias)
        query, sql, slots, converters = prepared
        if offset or limit is not None:
            high = None if limit is None else offset + limit
            sql = f"{sql} {connection.ops.limit_offset_sql(offset, high)}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [args[slot] for slot in slots])
            rows = cursor.fetchall()
        if not converters:
            return rows
        return list(query.get_compiler(connection=connection).apply_converters(rows, converters))

"""Read-only access to a built warehouse (DuckDB file or Spark warehouse folder) for reports."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from cpc.errors import UserError

#: Runs one SQL query and returns its rows as dicts. Parameters are written `:name` in the SQL
#: and passed as a dict (bound by the engine, never pasted into the text).
Query = Callable[..., list[dict[str, Any]]]

_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@contextmanager
def open_warehouse(warehouse: Path, target: str = "duckdb", spark_session: Any = None) -> Iterator[Query]:
    """Yield a query function over the warehouse's marts (schema `marts`)."""
    if target == "duckdb":
        if not warehouse.is_file():
            raise UserError(f"{warehouse}: no DuckDB warehouse here (run `cpc build` first)")
        try:
            con = duckdb.connect(str(warehouse), read_only=True)
        except duckdb.ConnectionException:
            # dbt-duckdb, earlier in this process, still holds a read-write connection to the file.
            con = duckdb.connect(str(warehouse))
        try:
            def query(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
                try:
                    if params:
                        cursor = con.execute(_PARAMETER.sub(r"$\1", sql), params)
                    else:
                        cursor = con.execute(sql)
                except duckdb.Error as exc:
                    first = str(exc).strip().splitlines()[0]
                    raise UserError(f"{warehouse}: {first} (is it built with this version? run `cpc build`)") from exc
                names = [column[0] for column in cursor.description]
                return [dict(zip(names, row)) for row in cursor.fetchall()]

            yield query
        finally:
            con.close()
        return
    if target != "spark":
        raise UserError(f"unknown target '{target}' (choose duckdb or spark)")
    from cpc import spark as spark_engine

    session = spark_session or spark_engine.spark_session(warehouse)
    try:
        def spark_query(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
            frame = session.sql(sql, args=params) if params else session.sql(sql)
            return [row.asDict() for row in frame.collect()]

        yield spark_query
    finally:
        if spark_session is None:
            spark_engine.stop(session)

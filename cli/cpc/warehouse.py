"""Read-only access to a built warehouse (DuckDB file or Spark warehouse folder) for reports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from cpc.errors import UserError

#: Runs one SQL query and returns its rows as dicts.
Query = Callable[[str], list[dict[str, Any]]]


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
            def query(sql: str) -> list[dict[str, Any]]:
                cursor = con.execute(sql)
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
        def spark_query(sql: str) -> list[dict[str, Any]]:
            return [row.asDict() for row in session.sql(sql).collect()]

        yield spark_query
    finally:
        if spark_session is None:
            spark_engine.stop(session)

"""Compare the marts of two DuckDB warehouses built from the same input, row by row.

A restructuring of the models must not move a number. Build a fixed input before and after the
change, then:

    python -m cpc.fingerprint BEFORE.duckdb AFTER.duckdb

Every table and view of the marts schema of BEFORE is compared with the relation of the same name
in AFTER (EXCEPT ALL, both ways). Decimals compare exactly; doubles are rounded to 9 places, since
summation order moves them by about 1e-16. Columns are matched by name, so a reordering is not a
difference; a missing relation or column is. Exit status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

SCHEMA = "marts"


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, SCHEMA, table],
    ).fetchall()
    return {name: data_type for name, data_type in rows}


def _select(catalog: str, table: str, columns: dict[str, str]) -> str:
    items = []
    for name, data_type in columns.items():
        quoted = f'"{name}"'
        if data_type in ("DOUBLE", "FLOAT", "REAL"):
            items.append(f"round({quoted}, 9) as {quoted}")
        else:
            items.append(quoted)
    return f'select {", ".join(items)} from "{catalog}"."{SCHEMA}"."{table}"'


def compare(before: Path, after: Path) -> list[str]:
    """The differences between the marts of two warehouses, one line each (empty: identical)."""
    con = duckdb.connect()
    con.execute(f"attach '{before}' as before_wh (read_only)")
    con.execute(f"attach '{after}' as after_wh (read_only)")
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'before_wh' and table_schema = ? order by table_name",
            [SCHEMA],
        ).fetchall()
    ]
    problems: list[str] = []
    for table in tables:
        old = _columns(con, "before_wh", table)
        new = _columns(con, "after_wh", table)
        if not new:
            problems.append(f"{table}: missing after")
            continue
        missing = [name for name in old if name not in new]
        if missing:
            problems.append(f"{table}: columns missing after: {', '.join(missing)}")
            continue
        shared = {name: old[name] for name in old}
        left = _select("before_wh", table, shared)
        right = _select("after_wh", table, shared)
        only_before = con.execute(f"select count(*) from ({left} except all {right})").fetchone()[0]
        only_after = con.execute(f"select count(*) from ({right} except all {left})").fetchone()[0]
        rows = con.execute(f'select count(*) from "before_wh"."{SCHEMA}"."{table}"').fetchone()[0]
        if only_before or only_after:
            problems.append(f"{table}: {only_before} row(s) only before, {only_after} only after (of {rows})")
        else:
            print(f"{table}: {rows} rows identical")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    problems = compare(args.before, args.after)
    for line in problems:
        print(f"DIFFERENT {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

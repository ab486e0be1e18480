"""`cpc publish`: the marts as Parquet plus a DuckDB file of views, read the way BI tools read them
(SQLAlchemy with duckdb-engine, read-only), compared with the warehouse to the cent."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import BuiltInput, Completed, one_line_error, query, run_cpc
from cpc import PROJECT_DIR, bi_export
from sqlalchemy import create_engine, text

#: Low enough that the generated input (200 customers x 40 days) has marts of both kinds
#: partitioned (by their month column, and by the month of cost_date) and small ones that are not.
PARTITION_ROWS = 1000


def _engine(views_file: Path):
    """How Superset and similar tools connect: a SQLAlchemy URI, duckdb-engine, read-only."""
    return create_engine(f"duckdb:///{views_file}", connect_args={"read_only": True})


@pytest.fixture(scope="module")
def published(generated_build: BuiltInput, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated build published with `cpc publish` (as a user runs it); returns DIR."""
    out = tmp_path_factory.mktemp("bi") / "published"
    done = run_cpc("publish", "--warehouse", str(generated_build.warehouse), "--to", str(out),
                   "--partition-rows", str(PARTITION_ROWS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert str(out / bi_export.VIEWS_FILE) in done.stdout
    return out


def _relations(catalog: str, con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_catalog = ? and table_schema = 'marts' order by table_name, ordinal_position",
        [catalog],
    ).fetchall()
    relations: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        relations.setdefault(table, []).append((column, data_type))
    return relations


def test_every_mart_is_published_with_the_warehouses_rows(
    generated_build: BuiltInput, published: Path
) -> None:
    con = duckdb.connect()
    con.execute(f"attach '{generated_build.warehouse}' as warehouse (read_only)")
    con.execute(f"attach '{published / bi_export.VIEWS_FILE}' as views (read_only)")
    in_warehouse, in_views = _relations("warehouse", con), _relations("views", con)

    # Every model under models/marts/ is a view of the same name, with the same columns and types.
    models = {path.stem for path in (PROJECT_DIR / "models" / "marts").rglob("*.sql")}
    assert models <= set(in_views), models - set(in_views)
    assert in_views == in_warehouse

    # The same rows (decimals exactly): the row count and the sum of the rows' hashes, which
    # does not depend on their order (one pass over each side: some marts are views that cost).
    def fingerprint(catalog: str, mart: str) -> tuple[int, int]:
        return con.execute(f"select count(*), coalesce(sum(hash(row)), 0)"
                           f" from {catalog}.marts.{mart} as row").fetchone()

    differ = {mart: (fingerprint("warehouse", mart), fingerprint("views", mart))
              for mart in in_warehouse}
    assert {mart: pair for mart, pair in differ.items() if pair[0] != pair[1]} == {}
    assert differ["customer_costs_daily"][0][0] > PARTITION_ROWS

    record = {mart["name"]: mart for mart in
              json.loads((published / bi_export.RECORD_FILE).read_text())["marts"]}
    assert set(record) == set(in_warehouse)
    # Large marts partitioned by month (their own month column, or the month of cost_date),
    # small ones in one file; the deprecated names are aliases without files of their own.
    assert record["customer_costs_daily"]["partitioned_by"] == "cost_date"
    assert record["customer_charge_costs_monthly"]["partitioned_by"] == "month"
    months = sorted(path.name for path in (published / "customer_costs_daily").iterdir())
    assert months == ["month=2024-01-01", "month=2024-02-01"], months
    assert record["customers"]["partitioned_by"] is None
    assert (published / "customers.parquet").is_file()
    assert record["fct_customer_costs"]["alias_of"] == "customer_costs_daily"
    assert not list(published.glob("fct_customer_costs*"))
    assert record["customer_costs_daily"]["rows"] == query(
        generated_build.warehouse, "select count(*) from marts.customer_costs_daily")[0][0]


def test_a_bi_tool_reads_the_figures_to_the_cent(generated_build: BuiltInput, published: Path) -> None:
    per_customer = ("select month, customer_id, total_cost from marts.customer_costs_monthly"
                    " order by month, customer_id")
    unattributed = ("select month, reason, unattributed_cost from marts.unattributed_costs_monthly"
                    " order by month, reason")
    daily_by_month = ("select date_trunc('month', cost_date) as month, sum(allocated_cost) as cost,"
                      " count(*) as rows from marts.customer_costs_daily group by 1 order by 1")
    engine = _engine(published / bi_export.VIEWS_FILE)
    try:
        with engine.connect() as connection:
            seen = {sql: [tuple(row) for row in connection.execute(text(sql))]
                    for sql in (per_customer, unattributed, daily_by_month)}
    finally:
        engine.dispose()
    for sql, rows in seen.items():
        expected = query(generated_build.warehouse, sql)
        assert len(rows) == len(expected) > 0, sql
        assert rows == expected, sql  # decimals compared exactly, row by row
    costs = [row[2] for row in seen[per_customer]]
    assert all(isinstance(cost, Decimal) for cost in costs)
    total = sum(costs, Decimal(0))
    assert total == query(generated_build.warehouse,
                          "select sum(total_cost) from marts.customer_costs_monthly")[0][0]
    assert total > 0


def test_publishing_again_while_a_bi_tool_is_connected(
    generated_build: BuiltInput, tmp_path: Path
) -> None:
    out = tmp_path / "bi"
    first = bi_export.publish(generated_build.warehouse, out, partition_rows=PARTITION_ROWS)
    sql = text("select count(*), sum(total_cost) from marts.customer_costs_monthly")
    # Which publish's files a connection reads: its views name them.
    files = text("select sql from duckdb_views() where view_name = 'customers'")
    expected = tuple(query(generated_build.warehouse,
                           "select count(*), sum(total_cost) from marts.customer_costs_monthly")[0])
    engine = _engine(out / bi_export.VIEWS_FILE)
    try:
        with engine.connect() as connection:
            assert tuple(connection.execute(sql).one()) == expected
            assert first.version.name in connection.execute(files).scalar_one()
            done = run_cpc("publish", "--warehouse", str(generated_build.warehouse), "--to", str(out))
            assert done.returncode == 0, done.stdout + done.stderr
            # The open connection still reads (the publish it opened is kept) ...
            assert tuple(connection.execute(sql).one()) == expected
            assert first.version.name in connection.execute(files).scalar_one()
        # ... and once the tool reconnects (a new connection, not one from its pool) it reads
        # the new publish, swapped in under the same path.
        engine.dispose()
        second = out.resolve()
        assert second != first.version and first.version.is_dir()
        with engine.connect() as connection:
            assert tuple(connection.execute(sql).one()) == expected
            assert second.name in connection.execute(files).scalar_one()
    finally:
        engine.dispose()
    # A third publish keeps the previous one and removes the first.
    third = bi_export.publish(generated_build.warehouse, out, partition_rows=PARTITION_ROWS)
    assert out.resolve() == third.version
    assert second.is_dir() and not first.version.exists()
    assert sorted(path.name for path in bi_export.publishes_folder(out).iterdir()) == sorted(
        [".lock", second.name, third.version.name])


def test_clear_errors(generated_build: BuiltInput, tmp_path: Path) -> None:
    def publish(warehouse: Path, out: Path) -> Completed:
        return run_cpc("publish", "--warehouse", str(warehouse), "--to", str(out))

    missing = tmp_path / "missing.duckdb"
    line = one_line_error(publish(missing, tmp_path / "out"), missing)
    assert "no DuckDB warehouse" in line
    assert not (tmp_path / "out").exists()
    assert not bi_export.publishes_folder(tmp_path / "out").exists()

    not_duckdb = tmp_path / "notes.duckdb"
    not_duckdb.write_text("not a database\n")
    assert "not a DuckDB database" in one_line_error(publish(not_duckdb, tmp_path / "out"), not_duckdb)

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert "no marts" in one_line_error(publish(empty, tmp_path / "out"), empty)

    assert "Spark" in one_line_error(publish(tmp_path, tmp_path / "out"), tmp_path)

    # A folder that holds other files is never replaced.
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine\n")
    assert "not a cpc publish" in one_line_error(publish(generated_build.warehouse, taken), taken)
    assert (taken / "keep.txt").read_text() == "mine\n"

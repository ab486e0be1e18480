"""`privacy: {pseudonymize_customers: true}`: one small generated input built with it, then every
reader-facing output (dashboard pages, `cpc publish`, `cpc docs`) scanned for the real customer ids
and names of customers.csv; the figures against the warehouse's; the mapping kept in the private
warehouse only and `cpc explain` resolving a pseudonym; a missing CPC_SALT failing at once."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import Completed, build_ok, one_line_error, query, run_cpc
from cpc import privacy
from cpc.errors import UserError
from cpc.rules import diff_rules, load_rules

SALT = "test-salt-not-a-secret-0123456789"
PRIVACY = "privacy:\n  pseudonymize_customers: true\n"
RULES = "rules:\n  - name: tagged\n    method: tag\n"


@contextmanager
def _salt(value: str | None) -> Iterator[None]:
    """CPC_SALT set to ``value`` (unset for None) for the `cpc` processes started in the block."""
    old = os.environ.get(privacy.SALT_VARIABLE)
    os.environ.pop(privacy.SALT_VARIABLE, None)
    if value is not None:
        os.environ[privacy.SALT_VARIABLE] = value
    try:
        yield
    finally:
        os.environ.pop(privacy.SALT_VARIABLE, None)
        if old is not None:
            os.environ[privacy.SALT_VARIABLE] = old


def run_with_salt(*args: str) -> Completed:
    with _salt(SALT):
        return run_cpc(*args)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A generated input (8 customers x 20 days) whose allocation.yml pseudonymizes customers,
    built with CPC_SALT; then its dashboard, two publishes and its docs site."""
    root = tmp_path_factory.mktemp("privacy")
    input_dir, warehouse = root / "input", root / "warehouse.duckdb"
    done = run_cpc("generate", "--customers", "8", "--days", "20", "--seed", "5",
                   "--out", str(input_dir))
    assert done.returncode == 0, done.stderr
    rules = input_dir / "allocation.yml"
    rules.write_text(PRIVACY + rules.read_text())
    with _salt(SALT):
        built_run = build_ok(input_dir, warehouse)
    assert "pseudonyms: 8 customers mapped" in built_run.stdout
    paths = {"input": input_dir, "warehouse": warehouse, "dashboard": root / "dashboard",
             "published": root / "published", "again": root / "again", "docs": root / "docs"}
    # Read with another salt in the environment (or none): the mapping is the build's.
    with _salt(None):
        for args in (("dashboard", "--out", str(paths["dashboard"]), "--customer", "cust-00003"),
                     ("publish", "--to", str(paths["published"])),
                     ("docs", "--out", str(paths["docs"]))):
            done = run_cpc(args[0], "--warehouse", str(warehouse), *args[1:])
            assert done.returncode == 0, done.stdout + done.stderr
    with _salt("another-salt-entirely-0123456789"):
        done = run_cpc("publish", "--warehouse", str(warehouse), "--to", str(paths["again"]))
        assert done.returncode == 0, done.stdout + done.stderr
    return paths


def _customers(input_dir: Path) -> list[dict[str, str]]:
    with (input_dir / "customers.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _leaks(folder: Path, needles: list[str]) -> list[str]:
    """Where any needle (case-insensitive) appears under ``folder``: in a file's name or bytes,
    or in any column of a Parquet file read with DuckDB (its bytes are compressed)."""
    folded = [needle.casefold() for needle in needles]
    found = []
    con = duckdb.connect()
    files = [path for path in folder.rglob("*") if path.is_file()]
    assert files, folder
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace").casefold()
        found += [f"{path}: {needle}" for needle in folded
                  if needle in str(path.relative_to(folder)).casefold() or needle in text]
        if path.suffix == ".parquet":
            source = f"read_parquet('{path}')"
            for (column, *_rest) in con.execute(f"describe select * from {source}").fetchall():
                values = con.execute(f'select distinct lower(cast("{column}" as varchar)) from {source}').fetchall()
                found += [f"{path}:{column}: {value}" for (value,) in values
                          if value and any(needle in value for needle in folded)]
        if path.suffix == ".duckdb":  # the views file: its views' SQL and everything they read
            with duckdb.connect(str(path), read_only=True) as views:
                for (sql,) in views.execute("select sql from duckdb_views() where not internal").fetchall():
                    found += [f"{path}: view {needle}" for needle in folded if needle in sql.casefold()]
    return found


def _holding(warehouse: Path, text: str) -> list[str]:
    """The warehouse's columns (any table, any schema) with a value containing ``text`` (a file's
    bytes would not show it: DuckDB compresses strings)."""
    found = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns()"
            " where database_name = current_database() and not internal").fetchall()
        for schema, table, column in columns:
            (hits,) = con.execute(f'select count(*) from "{schema}"."{table}"'
                                  f' where contains(cast("{column}" as varchar), ?)', [text]).fetchone()
            if hits:
                found.append(f"{schema}.{table}.{column}")
    return found


def test_the_rules_file_privacy_section_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "allocation.yml"
    path.write_text(PRIVACY + RULES)
    assert load_rules(path).pseudonymize_customers is True
    path.write_text(RULES)
    assert load_rules(path).pseudonymize_customers is False
    assert diff_rules(load_rules(path), load_rules(path)) == []
    plain = load_rules(path)
    path.write_text(PRIVACY + RULES)
    assert diff_rules(plain, load_rules(path)) == ["privacy pseudonymize_customers changed: false -> true"]
    for text, message in [
        ("privacy: yes please\n", "privacy must be a mapping such as {pseudonymize_customers: true}, not text"),
        ("privacy:\n  pseudonymise_customers: true\n",
         "unknown key 'pseudonymise_customers' in privacy (did you mean 'pseudonymize_customers'?)"),
        ("privacy:\n  pseudonymize_customers: 'yes'\n", "privacy pseudonymize_customers must be true or false, not 'yes'"),
    ]:
        path.write_text(text + RULES)
        with pytest.raises(UserError) as raised:
            load_rules(path)
        assert message in str(raised.value), str(raised.value)


def test_a_pseudonym_is_a_keyed_hash_stable_for_a_salt() -> None:
    first = privacy.pseudonym(SALT, "cust-00001")
    assert first == privacy.pseudonym(SALT, "CUST-00001") == "cust_" + first[5:]
    assert len(first) == len("cust_") + privacy.HEX_DIGITS and privacy.looks_like_pseudonym(first)
    assert first != privacy.pseudonym(SALT + "x", "cust-00001")
    assert first != privacy.pseudonym(SALT, "cust-00002")
    assert SALT not in privacy.salt_fingerprint(SALT)


def test_a_missing_or_short_salt_fails_the_build_before_any_work(tmp_path: Path) -> None:
    # An input folder with nothing but the rules: a build that got as far as landing would fail
    # on the missing files instead.
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    (input_dir / "allocation.yml").write_text(PRIVACY + RULES)
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    for salt, expected in [(None, "CPC_SALT is not set"), ("short", "is 5 characters long")]:
        with _salt(salt):
            done = run_cpc("build", "--input", str(input_dir), "--warehouse", str(warehouse))
        line = one_line_error(done, input_dir / "allocation.yml")
        assert expected in line, line
        assert not (tmp_path / "out").exists()  # nothing landed, locked or built
    with _salt(SALT):
        done = run_cpc("build", "--input", str(input_dir), "--warehouse", str(tmp_path / "spark"),
                       "--target", "spark")
    assert "supported on DuckDB warehouses only" in one_line_error(done)


def test_the_warehouse_keeps_the_mapping_and_never_the_salt(built: dict[str, Path]) -> None:
    warehouse = built["warehouse"]
    mapping = query(warehouse, f"select customer_id, customer_pseudonym from {privacy.MAPPING_TABLE}")
    customers = _customers(built["input"])
    assert sorted(mapping) == sorted((row["customer_id"], privacy.pseudonym(SALT, row["customer_id"]))
                                     for row in customers)
    assert query(warehouse, f"select salt_fingerprint from {privacy.SETTINGS_TABLE}") == [
        (privacy.salt_fingerprint(SALT),)]
    # The warehouse's marts keep the real ids; nothing the build wrote holds the salt.
    assert query(warehouse, "select count(*) from marts.customers where customer_id = 'cust-00001'") == [(1,)]
    assert _holding(warehouse, SALT) == []
    for path in warehouse.parent.joinpath(f"{warehouse.stem}.dbt").rglob("*"):
        if path.is_file():
            assert SALT.encode() not in path.read_bytes(), path
    record = json.loads((warehouse.parent / f"{warehouse.stem}.dbt" / "target" / "cpc_build.json").read_text())
    assert record["privacy"] == {"pseudonymize_customers": True,
                                 "salt_fingerprint": privacy.salt_fingerprint(SALT)}


def test_no_published_file_holds_a_real_id_or_name(built: dict[str, Path]) -> None:
    customers = _customers(built["input"])
    needles = [row["customer_id"] for row in customers] + [row["customer_name"] for row in customers]
    for output in ("dashboard", "published", "docs"):
        assert _leaks(built[output], needles) == [], output
    # The pages and files do show the pseudonyms: one debug page per customer, named by it.
    pages = {path.stem for path in (built["dashboard"] / "customers").glob("*.html")}
    assert pages == {privacy.pseudonym(SALT, row["customer_id"]) for row in customers}
    assert privacy.pseudonym(SALT, "cust-00008") in (built["docs"] / "index.html").read_text()
    record = json.loads((built["published"] / "publish.json").read_text())
    assert record["pseudonymized_customers"] is True
    # The scan finds what it looks for (an id embedded in another text, as the warehouse has).
    assert _leaks(built["warehouse"].parent / built["warehouse"].name.replace(".duckdb", ".dbt"),
                  ["cust-00008"])


def test_the_published_figures_are_the_warehouses(built: dict[str, Path]) -> None:
    con = duckdb.connect()
    con.execute(f"attach '{built['warehouse']}' as warehouse (read_only)")
    con.execute(f"attach '{built['published'] / 'views.duckdb'}' as views (read_only)")
    marts = [row[0] for row in con.execute(
        "select distinct table_name from information_schema.columns where table_catalog = 'views'"
        " and table_schema = 'marts'").fetchall()]
    assert "customer_costs_monthly" in marts
    for mart in marts:
        numbers = con.execute(
            "select column_name, data_type from information_schema.columns where table_catalog = 'views'"
            " and table_schema = 'marts' and table_name = ? and (data_type like 'DECIMAL%'"
            " or data_type in ('DOUBLE', 'BIGINT', 'INTEGER'))", [mart]).fetchall()
        # Decimals and integers exactly; doubles to 1e-6 (their sum depends on the order read).
        sums = ", ".join([f'round(sum("{column}"), 6)' if kind == "DOUBLE" else f'sum("{column}")'
                          for column, kind in numbers] + ["count(*)"])
        assert (con.execute(f"select {sums} from views.marts.{mart}").fetchall()
                == con.execute(f"select {sums} from warehouse.marts.{mart}").fetchall()), mart
    # Customer by customer: the published pseudonym's cost is the real customer's.
    published = dict(con.execute("select customer_id, sum(total_cost) from views.marts.customer_costs_monthly"
                                 " group by 1").fetchall())
    real = con.execute("select customer_id, sum(total_cost) from warehouse.marts.customer_costs_monthly"
                       " group by 1").fetchall()
    assert published == {privacy.pseudonym(SALT, customer): Decimal(total) for customer, total in real}


def test_the_same_salt_gives_the_same_pseudonyms_in_another_publish(built: dict[str, Path]) -> None:
    def ids(folder: Path) -> list[tuple]:
        with duckdb.connect(str(folder / "views.duckdb"), read_only=True) as con:
            return con.execute("select customer_id, customer_name, segment from marts.customers"
                               " order by customer_id").fetchall()

    first = ids(built["published"])
    assert first == ids(built["again"])
    assert {row[0] for row in first} == {privacy.pseudonym(SALT, row["customer_id"])
                                         for row in _customers(built["input"])}


def test_explain_resolves_a_pseudonym_for_the_warehouse_holder(built: dict[str, Path]) -> None:
    alias = privacy.pseudonym(SALT, "cust-00005")
    with _salt(None):
        done = run_cpc("explain", "--warehouse", str(built["warehouse"]), "--customer", alias,
                       "--month", "2024-01", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["customer_id"] == "cust-00005"
    assert f"{alias} is the pseudonym of customer cust-00005" in " ".join(done.stderr.split())
    unknown = run_cpc("explain", "--warehouse", str(built["warehouse"]), "--customer",
                      "cust_000000000000", "--month", "2024-01")
    assert "not in customers" in one_line_error(unknown)

"""Each file's decimal mark and date order: decided from its own values, declared in input.yml
when they cannot be, and never guessed (cpc.conventions, the parse macros, landing)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import build_ok, query, run_cpc
from cpc import PROJECT_DIR, conventions
from cpc.errors import UserError
from cpc.landing import land

CUSTOMERS = "customer_id,customer_name,segment\nacme,Acme,enterprise\nglobex,Globex,smb\n"


def _table(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str]]) -> str:
    """A landed-like table t(_source_file, amount, day) holding the given rows."""
    con.execute("CREATE OR REPLACE TABLE t (_source_file VARCHAR, amount VARCHAR, day VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    return "t"


def _decide(rows: list[tuple[str, str, str]], delimiters: dict[str, str], settings=None):
    con = duckdb.connect()
    table = _table(con, rows)
    return conventions.decide(
        con, table, delimiters, ["amount"], ["day"],
        settings or conventions.InputSettings(conventions.Declared(), []),
    )


def test_decimal_mark_is_what_the_file_shows() -> None:
    decided = _decide(
        [
            ("point.csv", "1,000.50", "2024-03-01"), ("point.csv", "7", "2024-03-01"),
            ("comma.csv", "10,5", "2024-03-01"), ("comma.csv", "1.000", "2024-03-01"),
            ("semi.csv", "1,000", "2024-03-01"), ("plain.csv", "1,000", "2024-03-01"),
            ("mixed.csv", "10.5", "2024-03-01"), ("mixed.csv", "0,25", "2024-03-01"),
            ("tab.tsv", "2.500", "2024-03-01"), ("typed.parquet", "1.000", "2024-03-01"),
        ],
        {"point.csv": ",", "comma.csv": ",", "semi.csv": ";", "plain.csv": ",", "mixed.csv": ";",
         "tab.tsv": "\t", "typed.parquet": ""},
    )
    assert {rel: found.decimal_mark for rel, found in decided.items()} == {
        "point.csv": "point", "comma.csv": "comma", "semi.csv": "unproven",
        "plain.csv": "point", "mixed.csv": "mixed", "tab.tsv": "unproven", "typed.parquet": "point",
    }
    # '1,000' reads two ways in a semicolon file that shows no mark: counted, to be quarantined
    assert decided["semi.csv"].ambiguous_numbers == 1
    assert decided["plain.csv"].ambiguous_numbers == 0
    assert decided["comma.csv"].decimal_evidence == "'10,5'"


def test_date_order_is_proven_by_the_file_or_refused() -> None:
    decided = _decide(
        [
            ("eu.csv", "1", "04/03/24"), ("eu.csv", "1", "25/03/24"),
            ("us.csv", "1", "4/3/2024"), ("us.csv", "1", "3/25/2024 13:00"),
            ("iso.csv", "1", "2024-03-04"), ("ymd.csv", "1", "2024/03/04"),
        ],
        {"eu.csv": ",", "us.csv": ",", "iso.csv": ",", "ymd.csv": ","},
    )
    assert {rel: found.date_order for rel, found in decided.items()} == {
        "eu.csv": "day_first", "us.csv": "month_first", "iso.csv": None, "ymd.csv": None,
    }
    with pytest.raises(UserError, match=r"^amb\.csv: its 2 slash date\(s\) \(such as '04/03/24'\)"):
        _decide([("amb.csv", "1", "04/03/24"), ("amb.csv", "1", "05/03/24")], {"amb.csv": ","})
    with pytest.raises(UserError, match=r"^both\.csv: its slash dates mix day-first \('25/03/24'\)"):
        _decide([("both.csv", "1", "25/03/24"), ("both.csv", "1", "03/25/24")], {"both.csv": ","})


def test_input_yml_declares_what_a_file_cannot_show(tmp_path: Path) -> None:
    (tmp_path / "input.yml").write_text(
        "date_order: month_first\nfiles:\n  'billing/eu/*.csv': {date_order: day_first, "
        "decimal_mark: comma}\n"
    )
    settings = conventions.load_settings(tmp_path)
    assert settings.for_file("billing/eu/march.csv") == conventions.Declared("comma", "day_first")
    assert settings.for_file("billing/us.csv") == conventions.Declared(None, "month_first")
    decided = _decide(
        [("billing/eu/march.csv", "1,000", "04/03/24"), ("billing/us.csv", "1,000", "04/03/24")],
        {"billing/eu/march.csv": ";", "billing/us.csv": ","},
        settings,
    )
    assert decided["billing/eu/march.csv"].decimal_mark == "comma"
    assert decided["billing/eu/march.csv"].date_order == "day_first"
    assert decided["billing/us.csv"].date_order == "month_first"
    (tmp_path / "input.yml").write_text("date_order: dmy\n")
    with pytest.raises(UserError, match="date_order 'dmy' is not one of: day_first, month_first"):
        conventions.load_settings(tmp_path)


def test_the_macros_use_the_same_number_patterns_as_landing() -> None:
    text = (PROJECT_DIR / "macros" / "portability" / "text_and_numbers.sql").read_text()

    def pattern(name: str) -> str:
        found = re.search(r"{% macro " + name + r"\(\) -%}\s*(.+?)\s*{%- endmacro %}", text)
        assert found, name
        return found.group(1)

    assert pattern("decimal_point_pattern") == conventions.POINT_PATTERN
    assert pattern("decimal_comma_pattern") == conventions.COMMA_PATTERN


def test_semicolon_file_lands_with_its_conventions_and_notes(tmp_path: Path) -> None:
    (tmp_path / "billing").mkdir()
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "billing" / "eu.csv").write_text(
        "ChargePeriodStart;ChargePeriodEnd;EffectiveCost\n25/03/24;26/03/24;1.000,50\n"
    )
    (tmp_path / "billing" / "empty.csv").write_text("ChargePeriodStart,ChargePeriodEnd,EffectiveCost\n")
    con = duckdb.connect()
    summary = land(tmp_path, con)
    assert con.execute(
        "SELECT effective_cost, _decimal_mark, _date_order FROM cpc_raw.billing"
    ).fetchall() == [("1.000,50", "comma", "day_first")]
    lines = "\n".join(summary.describe())
    assert "billing/eu.csv: semicolon-delimited; decimal comma ('1.000,50'); day-first dates" in lines
    assert "billing/empty.csv has a header but no records; landed 0 rows" in lines


def test_unrecognized_layout_names_the_delimiter_read(tmp_path: Path) -> None:
    (tmp_path / "billing").mkdir()
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "billing" / "x.csv").write_text("Start;End;Cost\n2024-03-01;2024-03-02;1\n")
    with pytest.raises(UserError, match=r"unrecognized billing layout.*read as semicolon-delimited"):
        land(tmp_path, duckdb.connect())


def _messy_input(root: Path) -> Path:
    """The issue's examples: decimal commas in a comma-delimited FOCUS file and in usage, and a
    European semicolon export with day-first dates, plus a charge outside its billing period."""
    input_dir = root / "input"
    (input_dir / "billing").mkdir(parents=True)
    (input_dir / "usage").mkdir()
    (input_dir / "customers.csv").write_text(CUSTOMERS)
    (input_dir / "billing" / "focus.csv").write_text(
        "BillingAccountId,ChargePeriodStart,ChargePeriodEnd,BillingPeriodStart,BillingPeriodEnd,"
        "ServiceName,EffectiveCost,Tags\n"
        'a1,2024-03-01,2024-03-02,2024-03-01,2024-04-01,Amazon EC2,"10,5",'
        '"{""customer_id"": ""acme""}"\n'
        "a1,2024-03-01,2024-03-02,2024-03-01,2024-04-01,Amazon S3,10,\n"
        # a charge in April billed in March's period: allocated, and named as outside
        'a1,2024-04-02,2024-04-03,2024-03-01,2024-04-01,Amazon EC2,"1,25",'
        '"{""customer_id"": ""globex""}"\n'
    )
    (input_dir / "billing" / "eu" ).mkdir()
    (input_dir / "billing" / "eu" / "march.csv").write_text(
        "BillingAccountId;ChargePeriodStart;ChargePeriodEnd;BillingPeriodStart;BillingPeriodEnd;"
        "ServiceName;EffectiveCost;Tags\n"
        'a2;04/03/24;05/03/24;01/03/24;01/04/24;Amazon EC2;1.000,50;"{""customer_id"": ""globex""}"\n'
        'a2;25/03/24;26/03/24;01/03/24;01/04/24;Amazon EC2;2,25;"{""customer_id"": ""acme""}"\n'
    )
    (input_dir / "usage" / "u.csv").write_text(
        'usage_date,customer_id,metric,quantity,service_name\n2024-03-01,acme,gb,"10,5",Amazon S3\n'
        "2024-03-01,globex,gb,30,Amazon S3\n"
    )
    return input_dir


def test_decimal_commas_and_day_first_dates_build_to_the_intended_figures(tmp_path: Path) -> None:
    input_dir = _messy_input(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    done = build_ok(input_dir, warehouse)
    warnings = [line for line in done.stdout.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, done.stdout
    assert warnings[0].startswith(
        "warning: charges_outside_billing_period: 1 row(s) (is_empty_charges_outside_billing_period_)"
    )
    assert "source_file=billing/focus.csv, source_row=3" in warnings[0]
    costs = dict(
        query(
            warehouse,
            "select customer_id || ' ' || strftime(cost_date, '%Y-%m-%d'), sum(allocated_cost) "
            "from marts.customer_costs_daily group by all",
        )
    )
    # acme: 10.50 tagged, plus 10.5 / (10.5 + 30) of the 10-dollar S3 charge; globex the rest
    assert costs["acme 2024-03-01"].quantize(Decimal("0.01")) == Decimal("13.09")
    assert costs["globex 2024-03-01"].quantize(Decimal("0.01")) == Decimal("7.41")
    # the European file: 1.000,50 on 4 March (not 3 April), 2,25 on 25 March
    assert costs["globex 2024-03-04"] == Decimal("1000.5")
    assert costs["acme 2024-03-25"] == Decimal("2.25")
    assert costs["globex 2024-04-02"] == Decimal("1.25")
    assert query(warehouse, "select count(*) from marts.quarantined_rows") == [(0,)]
    assert query(
        warehouse, "select source_file, source_row, period_position from marts.charges_outside_billing_period"
    ) == [("billing/focus.csv", 3, "after")]


def test_ambiguous_dates_stop_the_build_in_one_line(tmp_path: Path) -> None:
    input_dir = _messy_input(tmp_path)
    march = input_dir / "billing" / "eu" / "march.csv"
    march.write_text(march.read_text().replace("25/03/24;26/03/24", "05/03/24;06/03/24"))
    done = run_cpc("build", "--input", str(input_dir), "--warehouse", str(tmp_path / "w.duckdb"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        (
            "error: billing/eu/march.csv: its 8 slash date(s) (such as '01/03/24') read both "
            "day-first and month-first and none shows which; declare date_order: day_first or "
            "month_first for it in input.yml"
        )
    ]

"""Tests for cpc.landing: raw input folder -> all-VARCHAR tables with _source_file/_source_row."""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from cpc.errors import UserError
from cpc.landed_files import RECORD_TABLE
from cpc.landing import (
    BILLING_COLUMNS,
    BILLING_REQUIRED,
    BUDGETS_COLUMNS,
    CUSTOMERS_COLUMNS,
    FX_RATES_COLUMNS,
    K8S_NAMESPACES_COLUMNS,
    K8S_USAGE_COLUMNS,
    LINEAGE_COLUMNS,
    OTHER_COSTS_COLUMNS,
    REVENUE_COLUMNS,
    SUPPORT_RATES_COLUMNS,
    SUPPORT_TICKETS_COLUMNS,
    TABLES,
    USAGE_COLUMNS,
    LandingSummary,
    export_parquet,
    land,
    landed_columns,
)

# Real public files, copied into the project with their notices (tests/fixtures/*/NOTICE.md).
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
FOCUS_EXAMPLES = FIXTURES / "focus_spec_examples"

BILLING_HEADER = "ChargePeriodStart,ChargePeriodEnd,EffectiveCost,BilledCost,SubAccountId"
CUSTOMERS = "customer_id,customer_name,segment\nc1,Acme,smb\n"
LINEAGE = [name for name, _ in LINEAGE_COLUMNS]
ALL_TABLES = {spec.name for spec in TABLES}


def table_rows(**non_empty: int) -> dict[str, int]:
    """The expected summary.table_rows: zero for every table but the ones given."""
    return {spec.name: non_empty.get(spec.name, 0) for spec in TABLES}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB connection."""
    connection = duckdb.connect()
    yield connection
    connection.close()


def write(path: Path, content: str | bytes) -> Path:
    """Write text (UTF-8, as given: no newline translation) or bytes, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def make_input(root: Path, billing: dict[str, str | bytes], **extra: str | bytes) -> Path:
    """An input folder with the given billing files and customers.csv (plus extra files)."""
    for name, content in billing.items():
        write(root / "billing" / name, content)
    files = {"customers.csv": CUSTOMERS, **extra}
    for name, content in files.items():
        write(root / name, content)
    return root


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    """All rows of a query."""
    return con.execute(sql).fetchall()


def write_parquet(con: duckdb.DuckDBPyConnection, path: Path, select_sql: str) -> Path:
    """Write the result of a SELECT to a parquet file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({select_sql}) TO '{path}' (FORMAT parquet)")
    return path


def user_error(excinfo: pytest.ExceptionInfo[UserError]) -> str:
    """The message of a UserError, checked to be one line."""
    message = str(excinfo.value)
    assert "\n" not in message, message
    return message


# --------------------------------------------------------------------------------------------
# column contract
# --------------------------------------------------------------------------------------------


def test_billing_columns_are_snake_case_of_focus_names() -> None:
    focus = [name for name, _ in BILLING_COLUMNS]
    snake = [name for _, name in BILLING_COLUMNS]
    assert len(set(focus)) == len(focus) and len(set(snake)) == len(snake)
    for pascal, landed in BILLING_COLUMNS:
        assert landed == re.sub(r"(?<!^)(?=[A-Z])", "_", pascal).lower()
    for name in ("ServiceProviderName", "HostProviderName", "ProviderName", "PublisherName"):
        assert name in focus
    assert set(BILLING_REQUIRED) <= set(snake)


def test_landed_tables_have_fixed_varchar_columns(tmp_path: Path, con) -> None:
    land(make_input(tmp_path, {"a.csv": BILLING_HEADER + "\n"}), con)
    billing_tables = {
        spec.name: list(spec.landed_names) for spec in TABLES if spec.billing_format is not None
    }
    expected = {
        **billing_tables,
        "usage": list(USAGE_COLUMNS),
        "customers": list(CUSTOMERS_COLUMNS),
        "revenue": list(REVENUE_COLUMNS),
        "budgets": list(BUDGETS_COLUMNS),
        "support_tickets": list(SUPPORT_TICKETS_COLUMNS),
        "support_rates": list(SUPPORT_RATES_COLUMNS),
        "other_costs": list(OTHER_COSTS_COLUMNS),
        "fx_rates": list(FX_RATES_COLUMNS),
        "k8s_usage": list(K8S_USAGE_COLUMNS),
        "k8s_namespaces": list(K8S_NAMESPACES_COLUMNS),
    }
    assert billing_tables["billing"] == [landed for _, landed in BILLING_COLUMNS]
    assert list(billing_tables) == [
        "billing", "billing_aws", "billing_azure", "billing_gcp", "billing_oci"
    ]
    for table, data_columns in expected.items():
        described = rows(con, f"DESCRIBE cpc_raw.{table}")
        names = [row[0] for row in described]
        types = [row[1] for row in described]
        assert names == [*data_columns, *LINEAGE]
        assert names == list(landed_columns(table))
        assert types == ["VARCHAR"] * len(data_columns) + [
            "VARCHAR", "BIGINT", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"
        ]
    assert [spec.name for spec in TABLES] == list(expected)


# --------------------------------------------------------------------------------------------
# headers, values, formats
# --------------------------------------------------------------------------------------------


def test_header_variants_extra_and_missing_optional_columns(tmp_path: Path, con) -> None:
    header = "\ufeff chargeperiodstart ,CHARGEPERIODEND,Effective_Cost, billedcost,x_Vendor,Tags"
    make_input(
        tmp_path,
        {"a.csv": header + "\r\n2024-01-01,2024-01-02, 1.50 ,null,v,{}\r\n"},
        **{
            "customers.csv": " Customer_ID ,SEGMENT,Region\n012345678901,smb,eu\n",
            "revenue.csv": "customer_id,month,revenue\n012345678901,2024-01,100\n",
        },
    )
    summary = land(tmp_path, con)
    got = rows(
        con,
        "SELECT charge_period_start, charge_period_end, effective_cost, billed_cost, tags,"
        " sub_account_id, _source_file, _source_row FROM cpc_raw.billing",
    )
    # raw text: whitespace and the literal 'null' are kept; missing optional columns are NULL
    assert got == [("2024-01-01", "2024-01-02", " 1.50 ", "null", "{}", None, "billing/a.csv", 1)]
    assert summary.unknown_columns == {"billing/a.csv": ["x_Vendor"]}
    assert rows(
        con, "SELECT customer_id, customer_name, segment, region FROM cpc_raw.customers"
    ) == [("012345678901", None, "smb", "eu")]
    assert rows(con, "SELECT customer_id, currency FROM cpc_raw.revenue") == [
        ("012345678901", None)
    ]


def test_missing_required_column_names_file_and_columns(tmp_path: Path, con) -> None:
    # recognized as FOCUS (ChargePeriodStart, ChargePeriodEnd, BilledCost), but no EffectiveCost
    make_input(tmp_path, {"x.csv": "chargeperiodstart,ChargePeriodEnd,BilledCost\n2024-01-01,,1\n"})
    with pytest.raises(UserError) as excinfo:
        land(tmp_path, con)
    assert user_error(excinfo) == (
        "billing/x.csv: missing required column(s) EffectiveCost "
        "(FOCUS 1.0–1.3 column names expected)"
    )


@pytest.mark.parametrize(
    ("name", "content", "missing"),
    [
        ("customers.csv", "customer_id,customer_name\nc1,Acme\n", "segment"),
        ("revenue.csv", "customer_id,month\nc1,2024-01\n", "revenue"),
        ("usage/u.csv", "usage_date,customer_id,metric\n2024-01-01,c1,api\n", "quantity"),
    ],
)
def test_missing_required_column_in_other_inputs(
    tmp_path: Path, con, name: str, content: str, missing: str
) -> None:
    make_input(tmp_path, {"a.csv": BILLING_HEADER + "\n"}, **{name: content})
    with pytest.raises(UserError) as excinfo:
        land(tmp_path, con)
    message = user_error(excinfo)
    assert message.startswith(f"{name}: missing required column(s) {missing} ")


def test_duplicate_column_is_an_error(tmp_path: Path, con) -> None:
    make_input(tmp_path, {"x.csv": BILLING_HEADER + ",effective_cost\n"})
    with pytest.raises(UserError, match=r"billing/x\.csv: columns 'EffectiveCost' and"):
        land(tmp_path, con)


def test_csv_gz_and_parquet_in_subfolders(tmp_path: Path, con) -> None:
    body = (
        BILLING_HEADER + "\n2024-01-01,2024-01-02,1,1,012345678901\n2024-01-02,2024-01-03,2,2,7\n"
    )
    make_input(tmp_path, {"2024/01.csv": body, "2024/02.csv.gz": gzip.compress(body.encode())})
    write_parquet(
        con,
        tmp_path / "billing" / "2024" / "03.parquet",
        "SELECT TIMESTAMPTZ '2024-03-01 00:00:00+00' AS ChargePeriodStart,"
        " TIMESTAMP '2024-03-02 12:30:00' AS chargeperiodend,"
        " CAST(i AS DECIMAL(18, 4)) AS EffectiveCost, CAST(i AS DOUBLE) / 4 AS BilledCost,"
        " CASE WHEN i = 1 THEN '' ELSE '012345678901' END AS SubAccountId,"
        " MAP {'team': 'a'} AS Tags, 'v' AS x_Other FROM range(3) t(i)",
    )
    write(tmp_path / "billing" / "README.md", "not data")
    write(tmp_path / "billing" / ".DS_Store", b"\x00\x01")
    summary = land(tmp_path, con)

    assert summary.files_landed == [
        "billing/2024/01.csv",
        "billing/2024/02.csv.gz",
        "billing/2024/03.parquet",
        "customers.csv",
    ]
    assert summary.file_rows["billing/2024/02.csv.gz"] == 2
    assert summary.file_rows["billing/2024/03.parquet"] == 3
    assert summary.table_rows == table_rows(billing=7, customers=1)
    assert summary.skipped_files == {
        "billing/README.md": "not a .csv, .csv.gz, .parquet or JSON lines (.json, .jsonl,"
        " .ndjson, optionally .gz) file"
    }
    assert summary.unknown_columns == {"billing/2024/03.parquet": ["x_Other"]}
    got = rows(
        con,
        "SELECT _source_file, _source_row, sub_account_id, effective_cost FROM cpc_raw.billing"
        " WHERE _source_file <> 'billing/2024/03.parquet' ORDER BY 1, 2",
    )
    assert got == [
        ("billing/2024/01.csv", 1, "012345678901", "1"),
        ("billing/2024/01.csv", 2, "7", "2"),
        ("billing/2024/02.csv.gz", 1, "012345678901", "1"),
        ("billing/2024/02.csv.gz", 2, "7", "2"),
    ]
    parquet = rows(
        con,
        "SELECT _source_row, charge_period_start, charge_period_end, effective_cost,"
        " billed_cost, sub_account_id, tags FROM cpc_raw.billing"
        " WHERE _source_file = 'billing/2024/03.parquet' ORDER BY _source_row",
    )
    assert parquet[0] == (
        1,
        "2024-03-01T00:00:00Z",
        "2024-03-02T12:30:00",
        "0.0000",
        "0.0",
        "012345678901",
        '{"team":"a"}',
    )
    assert [row[0] for row in parquet] == [1, 2, 3]
    assert parquet[1][5] is None  # an empty parquet string arrives as NULL, like an empty CSV field


def test_gzip_detected_by_content_not_name(tmp_path: Path, con) -> None:
    body = BILLING_HEADER + "\n2024-01-01,2024-01-02,1,1,a\n"
    make_input(tmp_path, {"gz-named-csv.csv": gzip.compress(body.encode()), "plain.csv.gz": body})
    summary = land(tmp_path, con)
    assert summary.file_rows == {
        "billing/gz-named-csv.csv": 1,
        "billing/plain.csv.gz": 1,
        "customers.csv": 1,
    }


def test_blank_lines_crlf_and_no_trailing_newline(tmp_path: Path, con) -> None:
    content = (
        "\r\n\r\n"  # blank lines before the header
        + BILLING_HEADER
        + "\r\n2024-01-01,2024-01-02,1,1,a\r\n\r\n\r\n2024-01-02,2024-01-03,2,2,b\r\n"
        + "\r\n2024-01-03,2024-01-04,3,3,c"  # no newline at the end
    )
    make_input(tmp_path, {"x.csv": content})
    land(tmp_path, con)
    assert rows(con, "SELECT _source_row, sub_account_id FROM cpc_raw.billing ORDER BY 1") == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
    ]


def test_short_rows_padded_and_empty_fields_null(tmp_path: Path, con) -> None:
    content = BILLING_HEADER + '\n2024-01-01,2024-01-02\n,,"",  ,\n'
    make_input(tmp_path, {"x.csv": content})
    land(tmp_path, con)
    assert rows(
        con,
        "SELECT charge_period_start, charge_period_end, effective_cost, billed_cost,"
        " sub_account_id FROM cpc_raw.billing ORDER BY _source_row",
    ) == [
        ("2024-01-01", "2024-01-02", None, None, None),
        (None, None, None, "  ", None),  # empty fields (quoted or not) -> NULL; spaces kept
    ]


def test_quoted_values_commas_and_line_breaks(tmp_path: Path, con) -> None:
    content = (
        BILLING_HEADER + '\n2024-01-01,2024-01-02,"$10,000.00 ","say ""hi""","multi\nline"\n'
        "2024-01-02,2024-01-03,1\n"  # short row in the same file as a quoted line break
        "2024-01-03,2024-01-04,2,2,z\n"
    )
    make_input(tmp_path, {"x.csv": content})
    summary = land(tmp_path, con)
    assert rows(
        con,
        "SELECT _source_row, effective_cost, billed_cost, sub_account_id FROM cpc_raw.billing"
        " ORDER BY 1",
    ) == [
        (1, "$10,000.00 ", 'say "hi"', "multi\nline"),
        (2, "1", None, None),
        (3, "2", "2", "z"),
    ]
    assert summary.multiline_records == {"billing/x.csv": 1}


def test_row_numbers_follow_file_order_in_a_large_file(tmp_path: Path, con) -> None:
    n = 150_000
    lines = [BILLING_HEADER]
    for i in range(1, n + 1):
        lines.append(f"2024-01-01,2024-01-02,{i},{i % 7},acct-{i:06d}")
        if i % 25_000 == 0:
            lines.append("")  # blank lines are not records and do not shift the numbering
    body = "\n".join(lines) + "\n"
    make_input(tmp_path, {"big.csv": body, "big.csv.gz": gzip.compress(body.encode(), 1)})
    summary = land(tmp_path, con)
    assert summary.table_rows["billing"] == 2 * n
    mismatches = rows(
        con,
        "SELECT _source_file, count(*) FROM cpc_raw.billing"
        " WHERE CAST(effective_cost AS BIGINT) <> _source_row"
        " OR sub_account_id <> 'acct-' || lpad(CAST(_source_row AS VARCHAR), 6, '0')"
        " GROUP BY 1",
    )
    assert mismatches == []


def test_empty_optional_inputs_give_empty_tables(tmp_path: Path, con) -> None:
    make_input(tmp_path, {"a.csv": BILLING_HEADER + "\n"})
    (tmp_path / "usage").mkdir()
    write(tmp_path / "usage" / "header-only.csv", "usage_date,customer_id,metric,quantity")
    summary = land(tmp_path, con)
    assert summary.table_rows == table_rows(customers=1)
    assert summary.file_rows["usage/header-only.csv"] == 0
    assert any("revenue.csv" in note for note in summary.notes)
    assert rows(con, "SELECT count(*) FROM cpc_raw.revenue") == [(0,)]
    assert len(rows(con, "DESCRIBE cpc_raw.revenue")) == len(REVENUE_COLUMNS) + len(LINEAGE)


def test_usage_folder_lands(tmp_path: Path, con) -> None:
    make_input(tmp_path, {"a.csv": BILLING_HEADER + "\n"})
    write(
        tmp_path / "usage" / "jan.csv",
        "Usage_Date,Customer_ID,Metric,Quantity,Region_Id\n2024-01-01,007,api_calls,1e3,eu\n",
    )
    write_parquet(
        con,
        tmp_path / "usage" / "feb.parquet",
        "SELECT DATE '2024-02-01' AS usage_date, 8 AS customer_id, 'gb' AS metric,"
        " 2.5 AS quantity, 'svc' AS service_name",
    )
    summary = land(tmp_path, con)
    assert summary.table_rows["usage"] == 2
    assert rows(
        con, "SELECT * EXCLUDE (_delivered_at, _source_variant) FROM cpc_raw.usage ORDER BY _source_file"
    ) == [
        ("2024-02-01", "8", "gb", "2.5", "svc", None, None, None, None, None, "usage/feb.parquet", 1,
         "point", None),
        ("2024-01-01", "007", "api_calls", "1e3", None, None, "eu", None, None, None, "usage/jan.csv", 1,
         "point", None),
    ]


def test_glob_characters_in_file_names_are_literal(tmp_path: Path, con) -> None:
    body = BILLING_HEADER + "\n2024-01-01,2024-01-02,1,1,{}\n"
    make_input(tmp_path, {"x[1].csv": body.format("bracket"), "x1.csv": body.format("plain")})
    land(tmp_path, con)
    assert rows(con, "SELECT _source_file, sub_account_id FROM cpc_raw.billing ORDER BY 1") == [
        ("billing/x1.csv", "plain"),
        ("billing/x[1].csv", "bracket"),
    ]


# --------------------------------------------------------------------------------------------
# errors: one line, naming the file, no traceback types other than UserError
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            BILLING_HEADER + "\n1,2,3,4,5\n1,2,3,4,5,6\n",
            r"^billing/x\.csv: line 3: more fields than the header has",
        ),
        (
            BILLING_HEADER + '\n1,2,3,4,5\n1,"2,3,4,5\n1,2,3,4,5\n',
            r"^billing/x\.csv: line 3: unbalanced quote",
        ),
        (
            BILLING_HEADER + '\n1,"2\n3",3,4,5\n1,2\n1,"2,3,4,5\n1,2,3,4,5\n',
            r"^billing/x\.csv: line 5: unbalanced quote",
        ),
        (
            (BILLING_HEADER + "\n1,2,caf\xe9,4,5\n").encode("latin-1"),
            r"^billing/x\.csv: line 2: bytes that are not UTF-8",
        ),
        (BILLING_HEADER.encode("utf-16"), r"^billing/x\.csv: file is UTF-16 encoded"),
        (b"PK\x03\x04rest", r"^billing/x\.csv: file is a ZIP archive"),
    ],
    ids=[
        "too-many-fields",
        "unbalanced-quote",
        "unbalanced-after-line-break",
        "latin-1",
        "utf-16",
        "zip",
    ],
)
def test_malformed_csv_raises_one_line_user_error(
    tmp_path: Path, con, content: str | bytes, expected: str
) -> None:
    make_input(tmp_path, {"x.csv": content})
    with pytest.raises(UserError) as excinfo:
        land(tmp_path, con)
    assert re.search(expected, user_error(excinfo)), str(excinfo.value)


def test_files_read_at_once_fail_like_files_read_in_turn(tmp_path: Path, con) -> None:
    """Files of one table are read several at once (one connection each); the error is still
    the first failing file's in landing order, here the one that fails last."""
    valid = "".join(f"2024-01-01,2024-01-02,{i},1,acct\n" for i in range(200_000))
    make_input(tmp_path, {
        "a.csv": BILLING_HEADER + "\n" + valid + "1,2,3,4,5,6\n",  # a bad record at its very end
        "b.csv": BILLING_HEADER + "\n1,2,3,4,5,6\n",  # a bad first record
        "c.csv": BILLING_HEADER + "\n2024-01-01,2024-01-02,1,1,acct\n",
    })
    with pytest.raises(UserError) as excinfo:
        land(tmp_path, con)
    assert user_error(excinfo).startswith("billing/a.csv: "), user_error(excinfo)

    (tmp_path / "billing" / "a.csv").write_text(BILLING_HEADER + "\n" + valid)
    (tmp_path / "billing" / "b.csv").write_text(BILLING_HEADER + "\n2024-01-01,2024-01-02,2,1,acct\n")
    told: list[tuple[str, int]] = []
    summary = land(tmp_path, con, on_file=lambda rel, count, _seconds: told.append((rel, count)))
    expected = [("billing/a.csv", 200_000), ("billing/b.csv", 1), ("billing/c.csv", 1)]
    assert sorted(item for item in told if item[0].startswith("billing/")) == expected
    assert summary.files_landed[:3] == [rel for rel, _ in expected]
    assert rows(con, "SELECT _source_file, count(*), max(_source_row) FROM cpc_raw.billing GROUP BY 1 ORDER BY 1") == [
        (rel, count, count) for rel, count in expected
    ]


def test_unreadable_gzip_and_parquet(tmp_path: Path, con) -> None:
    make_input(tmp_path, {"x.csv.gz": b"\x1f\x8b\x08\x00broken"})
    with pytest.raises(UserError, match=r"^billing/x\.csv\.gz: cannot read"):
        land(tmp_path, con)
    shutil.rmtree(tmp_path / "billing")
    make_input(tmp_path, {"y.parquet": b"PAR1 not really"})
    with pytest.raises(UserError, match=r"^billing/y\.parquet: cannot read parquet"):
        land(tmp_path, con)


def test_missing_required_inputs(tmp_path: Path, con) -> None:
    with pytest.raises(UserError, match=r"^billing/: folder not found"):
        land(tmp_path, con)
    write(tmp_path / "billing" / "notes.txt", "x")
    with pytest.raises(UserError, match=r"^billing/: no \.csv, \.csv\.gz, \.parquet or JSON"):
        land(tmp_path, con)
    write(tmp_path / "billing" / "a.csv", BILLING_HEADER + "\n")
    with pytest.raises(UserError, match=r"^customers\.csv: not found"):
        land(tmp_path, con)
    with pytest.raises(UserError, match="input folder not found"):
        land(tmp_path / "nope", con)


def test_failed_landing_keeps_previous_tables(tmp_path: Path, con) -> None:
    make_input(tmp_path, {"a.csv": BILLING_HEADER + "\n2024-01-01,2024-01-02,1,1,a\n"})
    land(tmp_path, con)
    write(tmp_path / "billing" / "b.csv", BILLING_HEADER + "\n1,2,3,4,5,6\n")
    with pytest.raises(UserError):
        land(tmp_path, con)
    assert rows(con, "SELECT _source_file, count(*) FROM cpc_raw.billing GROUP BY 1") == [
        ("billing/a.csv", 1)
    ]
    tables = {row[0] for row in rows(con, "SELECT table_name FROM duckdb_tables()")}
    assert tables == ALL_TABLES | {RECORD_TABLE}


def test_empty_file_lands_zero_rows(tmp_path: Path, con) -> None:
    make_input(tmp_path, {"empty.csv": b"", "a.csv": BILLING_HEADER + "\n"})
    summary = land(tmp_path, con)
    assert summary.file_rows["billing/empty.csv"] == 0
    assert any("billing/empty.csv is empty" in note for note in summary.notes)


# --------------------------------------------------------------------------------------------
# summary and export
# --------------------------------------------------------------------------------------------


def test_summary_describe(tmp_path: Path, con) -> None:
    make_input(tmp_path, {"a.csv": BILLING_HEADER + ",x_A\n2024-01-01,2024-01-02,1,1,a,z\n"})
    summary = land(tmp_path, con, schema="landed")
    assert isinstance(summary, LandingSummary)
    text = "\n".join(summary.describe())
    assert "billing: 1 row(s) from 1 file(s)" in text
    assert "billing/a.csv: 1 column(s) not landed: x_A" in text
    assert rows(con, "SELECT count(*) FROM landed.billing") == [(1,)]


def test_export_parquet(tmp_path: Path, con) -> None:
    make_input(tmp_path / "in", {"a.csv": BILLING_HEADER + "\n2024-01-01,2024-01-02,1,1,007\n"})
    land(tmp_path / "in", con)
    paths = export_parquet(con, tmp_path / "out")
    assert set(paths) == {*ALL_TABLES, "_landed_files"}
    for table, path in paths.items():
        assert path == tmp_path / "out" / f"{table.lstrip('_')}.parquet" and path.exists()
        if table != "_landed_files":
            described = rows(con, f"DESCRIBE SELECT * FROM read_parquet('{path}')")
            assert [row[0] for row in described] == list(landed_columns(table))
    # The landing's record of its files goes too: the models read it (stg_landing__files).
    assert ("billing/a.csv", "billing") in rows(
        con, f"SELECT source_file, landed_table FROM read_parquet('{paths['_landed_files']}')")
    assert rows(
        con, f"SELECT sub_account_id, _source_row FROM read_parquet('{paths['billing']}')"
    ) == [("007", 1)]
    with pytest.raises(UserError, match="land the input folder first"):
        export_parquet(duckdb.connect(), tmp_path / "out2")


# --------------------------------------------------------------------------------------------
# real files
# --------------------------------------------------------------------------------------------


def _data_lines(path: Path) -> int:
    """Non-blank lines after the header (these files have no quoted line breaks)."""
    text = path.read_bytes().decode("utf-8-sig")
    lines = [line for line in re.split(r"\r\n|\n|\r", text) if line.strip()]
    return len(lines) - 1


def test_focus_spec_examples_all_land(tmp_path: Path, con) -> None:
    shutil.copytree(FOCUS_EXAMPLES, tmp_path / "billing")
    write(tmp_path / "customers.csv", CUSTOMERS)
    write(tmp_path / "input.yml", "date_order: month_first\n")
    sources = sorted(p for p in (tmp_path / "billing").rglob("*.csv"))
    assert sources
    summary = land(tmp_path, con)
    for path in sources:
        rel = path.relative_to(tmp_path).as_posix()
        assert summary.file_rows[rel] == _data_lines(path), rel
        numbers = rows(
            con, f"SELECT _source_row FROM cpc_raw.billing WHERE _source_file = '{rel}' ORDER BY 1"
        )
        assert [n for (n,) in numbers] == list(range(1, _data_lines(path) + 1)), rel
    # raw text kept: money with '$' and ',' and a trailing space, literal 'null', M/D/YY dates,
    # the impossible timestamp of purchase scenario 3
    values = {
        value
        for (value,) in rows(
            con,
            "SELECT DISTINCT unnest([billed_cost, consumed_quantity, billing_period_start,"
            " charge_period_end]) FROM cpc_raw.billing",
        )
    }
    assert {"$10,000.00 ", "null", "4/1/25", "2023-02-01T30:00:00Z"} <= values
    # 'SkuPriceid' (sic) in the flexibility examples matches SkuPriceId
    assert rows(
        con,
        "SELECT count(*) FROM cpc_raw.billing WHERE _source_file LIKE '%flexibility%'"
        " AND sku_price_id IS NULL",
    ) == [(0,)]


def test_csv_module_agrees_with_landing_on_tricky_file(tmp_path: Path, con) -> None:
    """Cross-check against Python's csv module on a file mixing every accepted quirk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(BILLING_HEADER.split(","))
    records = [
        ["2024-01-01", "2024-01-02", "1", 'quote " inside', "a,b"],
        ["2024-01-01", "", "", "", ""],
        ["  ", "null", "NULL", "-", "0012"],
        ["2024-01-01", "2024-01-02", "3", "x", "line\r\nbreak"],
    ]
    writer.writerows(records)
    make_input(tmp_path, {"t.csv": buffer.getvalue()})
    land(tmp_path, con)
    landed = rows(
        con,
        "SELECT charge_period_start, charge_period_end, effective_cost, billed_cost,"
        " sub_account_id FROM cpc_raw.billing ORDER BY _source_row",
    )
    assert landed == [tuple(v if v != "" else None for v in record) for record in records]

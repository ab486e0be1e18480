"""Tests for billing format recognition at landing, and the non-billing inputs added with it.

Every file in billing/ is recognized by its header and lands in its format's raw table; tag
columns are packed into one JSON object; JSON lines and nested parquet records are flattened.
The small files below are hand-written from the providers' published column names.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from cpc.errors import UserError
from cpc.formats import FORMATS, BillingFormat, detect, match_key
from cpc.landed_files import RECORD_TABLE
from cpc.landing import TABLES, billing_table_spec, land

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
PROVIDER_EXPORTS = FIXTURES / "provider_exports"
AWS_SAMPLE = next(PROVIDER_EXPORTS.glob("aws-cur-legacy/*.csv"))
AZURE_SAMPLE = next(PROVIDER_EXPORTS.glob("azure-ea/*.csv"))
FORMAT_BY_NAME = {fmt.name: fmt for fmt in FORMATS}

FOCUS_CSV = (
    "ChargePeriodStart,ChargePeriodEnd,EffectiveCost,BilledCost\n"
    "2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,1.5,1.5\n"
)
AWS_HEADER = (
    "identity/LineItemId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,"
    "lineItem/UnblendedCost"
)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def make_input(root: Path, billing: dict[str, str | bytes], **extra: str | bytes) -> Path:
    """An input folder with the given billing files, customers.csv and extra files."""
    for name, content in billing.items():
        write(root / "billing" / name, content)
    for name, content in {"customers.csv": "customer_id,segment\nc1,smb\n", **extra}.items():
        write(root / name, content)
    return root


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def one_line_error(excinfo: pytest.ExceptionInfo[UserError]) -> str:
    message = str(excinfo.value)
    assert "\n" not in message, message
    return message


# --------------------------------------------------------------------------------------------
# detection
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["ChargePeriodStart", "ChargePeriodEnd", "EffectiveCost"], "focus"),
        (["charge_period_start", "CHARGEPERIODEND", "BilledCost", "x_Vendor"], "focus"),
        (AWS_HEADER.split(",") + ["resourceTags/user:Team"], "aws_cur"),
        (
            ["line_item_line_item_type", "line_item_usage_start_date", "line_item_unblended_cost",
             "resource_tags"],
            "aws_cur",
        ),
        (["Date", "CostInBillingCurrency", "BillingCurrencyCode", "ChargeType"], "azure"),
        (["date", "costInBillingCurrency", "billingCurrency", "chargeType"], "azure"),
        (["billing_account_id", "service.description", "usage_start_time", "cost"], "gcp"),
        (["billing_account_id", "service_description", "usage_start_time", "cost"], "gcp"),
        (["lineItem/intervalUsageStart", "cost/myCost", "tags/Oracle-Tags.CreatedBy"], "oci"),
    ],
    ids=["focus", "focus-snake", "aws-legacy", "cur2", "azure-ea", "azure-mca", "gcp-dotted",
         "gcp-snake", "oci"],
)
def test_detect_by_header(header: list[str], expected: str) -> None:
    assert detect(header, "billing/x.csv").name == expected


def test_first_matching_format_wins() -> None:
    # A FOCUS file that also carries provider columns is FOCUS (FOCUS comes first).
    header = ["ChargePeriodStart", "ChargePeriodEnd", "EffectiveCost", "lineItem/UnblendedCost",
              "lineItem/UsageStartDate"]
    assert detect(header, "billing/x.csv") is FORMATS[0]


def test_unrecognized_layout_is_one_line_naming_file_and_formats(tmp_path: Path, con) -> None:
    make_input(tmp_path, {"ok.csv": FOCUS_CSV, "sub/x.csv": "when,amount\n2024-01-01,3\n"})
    with pytest.raises(UserError) as excinfo:
        land(tmp_path, con)
    message = one_line_error(excinfo)
    assert message.startswith(
        "billing/sub/x.csv: unrecognized billing layout: expected one of: FOCUS 1.0–1.3: "
        "ChargePeriodStart, ChargePeriodEnd, BilledCost or EffectiveCost; "
    )
    for fmt in FORMATS:
        assert f"{fmt.label}: " in message
        assert all(name in message for name in fmt.signatures[0])
    # nothing landed: the previous (here: no) tables are untouched
    assert rows(con, "SELECT count(*) FROM duckdb_tables()") == [(0,)]


# --------------------------------------------------------------------------------------------
# the real provider samples and a mixed folder
# --------------------------------------------------------------------------------------------


def test_mixed_folder_lands_each_file_in_its_format_table(tmp_path: Path, con) -> None:
    make_input(
        tmp_path,
        {
            "focus/jan.csv": FOCUS_CSV,
            "aws/cur.csv": AWS_SAMPLE.read_bytes(),
            "azure/ActualCost/ea.csv.gz": gzip.compress(AZURE_SAMPLE.read_bytes()),
        },
    )
    summary = land(tmp_path, con)
    assert summary.file_formats == {
        "billing/aws/cur.csv": "aws_cur",
        "billing/azure/ActualCost/ea.csv.gz": "azure",
        "billing/focus/jan.csv": "focus",
    }
    assert summary.file_tables["billing/aws/cur.csv"] == "billing_aws"
    assert {table: summary.table_rows[table] for table in
            ("billing", "billing_aws", "billing_azure", "billing_gcp", "billing_oci")} == {
        "billing": 1, "billing_aws": 1281, "billing_azure": 27, "billing_gcp": 0, "billing_oci": 0
    }
    # AWS: every record, numbered in file order, with its raw values and lineage
    assert rows(
        con,
        "SELECT count(*), count(DISTINCT _source_row), min(_source_row), max(_source_row),"
        " count(line_item_unblended_cost), count(_delivered_at) FROM cpc_raw.billing_aws",
    ) == [(1281, 1281, 1, 1281, 1281, 1281)]
    aws = FORMAT_BY_NAME["aws_cur"]
    header = AWS_SAMPLE.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    expected_variant = aws.variant(header, "billing/aws/cur.csv") if aws.variant else None
    assert rows(con, "SELECT DISTINCT _source_variant FROM cpc_raw.billing_aws") == [
        (expected_variant,)
    ]
    assert rows(
        con,
        "SELECT line_item_usage_start_date, line_item_unblended_cost FROM cpc_raw.billing_aws"
        " WHERE _source_row = 1",
    ) == [("2023-11-01T00:00:00.000Z", "0.0")]
    # Azure: raw text kept (M/D/YYYY dates, exponents, brace-less tags)
    assert rows(
        con,
        "SELECT date, cost_in_billing_currency FROM cpc_raw.billing_azure WHERE _source_row = 2",
    ) == [("9/2/2023", "5.64902E-05")]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
        rows(con, "SELECT DISTINCT _delivered_at FROM cpc_raw.billing")[0][0],
    )


# --------------------------------------------------------------------------------------------
# tag packing
# --------------------------------------------------------------------------------------------


def test_aws_resource_tag_columns_are_packed_into_json(tmp_path: Path, con) -> None:
    content = (
        AWS_HEADER + ",resourceTags/user:Team,resourceTags/aws:createdBy,ResourceTags/user:Note\n"
        "a,Usage,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,1,data,alice,\"say \"\"hi\"\", ok\"\n"
        "b,Usage,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,2,,bob,\n"
        "c,Usage,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,3,,,\n"
    )
    summary = land(make_input(tmp_path, {"cur.csv": content}), con)
    assert "billing/cur.csv" not in summary.unknown_columns
    landed = rows(con, "SELECT resource_tags FROM cpc_raw.billing_aws ORDER BY _source_row")
    assert json.loads(landed[0][0]) == {
        "user:Team": "data", "aws:createdBy": "alice", "user:Note": 'say "hi", ok'
    }
    assert landed[0][0].startswith('{"user:Team":"data","aws:createdBy":"alice"')
    assert json.loads(landed[1][0]) == {"aws:createdBy": "bob"}  # empty values left out
    assert landed[2][0] is None  # no tag values at all


def test_oci_tag_columns_are_packed_into_json(tmp_path: Path, con) -> None:
    content = (
        "lineItem/referenceNo,lineItem/intervalUsageStart,lineItem/intervalUsageEnd,cost/myCost,"
        "tags/Oracle-Tags.CreatedBy,tags/Finance.CostCenter,tags/customer_id\n"
        "r1,2024-01-01T00:00Z,2024-01-01T01:00Z,0.5,ocid1.user.x,42,acme\n"
        "r2,2024-01-01T00:00Z,2024-01-01T01:00Z,0.25,,,\n"
    )
    parquet = tmp_path / "billing" / "reports" / "cost-parquet" / "0002.parquet"
    parquet.parent.mkdir(parents=True)
    con.execute(  # the same in parquet: typed values, an empty string left out like NULL
        "COPY (SELECT 'r' || i AS \"lineItem/referenceNo\","
        " TIMESTAMP '2024-01-01 00:00:00' AS \"lineItem/intervalUsageStart\","
        " TIMESTAMP '2024-01-01 01:00:00' AS \"lineItem/intervalUsageEnd\","
        " CAST(1.5 AS DECIMAL(10, 2)) AS \"cost/myCost\","
        " CASE WHEN i = 0 THEN 'ocid1.user.y' ELSE '' END AS \"tags/Oracle-Tags.CreatedBy\","
        " CASE WHEN i < 2 THEN 42 END AS \"tags/Finance.CostCenter\" FROM range(3) t(i))"
        f" TO '{parquet}' (FORMAT parquet)"
    )
    summary = land(make_input(tmp_path, {"reports/cost-csv/0001.csv": content}), con)
    assert summary.unknown_columns == {}
    landed = rows(
        con, "SELECT tags, cost_my_cost FROM cpc_raw.billing_oci ORDER BY _source_file, _source_row"
    )
    assert json.loads(landed[0][0]) == {
        "Oracle-Tags.CreatedBy": "ocid1.user.x", "Finance.CostCenter": "42", "customer_id": "acme"
    }
    assert landed[1] == (None, "0.25")
    assert landed[2:] == [
        ('{"Oracle-Tags.CreatedBy":"ocid1.user.y","Finance.CostCenter":"42"}', "1.50"),
        ('{"Finance.CostCenter":"42"}', "1.50"),
        (None, "1.50"),
    ]


def test_cur2_map_columns_land_as_json(tmp_path: Path, con) -> None:
    """CUR 2.0 parquet holds the tags in a MAP column: it lands as it is, as JSON text."""
    path = tmp_path / "billing" / "cur2" / "part-0.parquet"
    path.parent.mkdir(parents=True)
    con.execute(
        "COPY (SELECT 'Usage' AS line_item_line_item_type,"
        " TIMESTAMPTZ '2024-01-01 00:00:00+00' AS line_item_usage_start_date,"
        " TIMESTAMPTZ '2024-01-01 01:00:00+00' AS line_item_usage_end_date,"
        " CAST(1.25 AS DOUBLE) AS line_item_unblended_cost,"
        " MAP {'user_team': 'data', 'user_customer': 'acme'} AS resource_tags)"
        f" TO '{path}' (FORMAT parquet)"
    )
    csv_content = (
        "line_item_line_item_type,line_item_usage_start_date,line_item_usage_end_date,"
        "line_item_unblended_cost,resource_tags\n"
        'Usage,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,2,"{""user_team"":""web""}"\n'
    )
    summary = land(make_input(tmp_path, {"cur2/part-1.csv": csv_content}), con)
    assert summary.file_formats == {
        "billing/cur2/part-0.parquet": "aws_cur", "billing/cur2/part-1.csv": "aws_cur"
    }
    assert rows(
        con,
        "SELECT line_item_usage_start_date, line_item_unblended_cost, resource_tags"
        " FROM cpc_raw.billing_aws ORDER BY _source_file",
    ) == [
        ("2024-01-01T00:00:00Z", "1.25", '{"user_team":"data","user_customer":"acme"}'),
        ("2024-01-01T00:00:00Z", "2", '{"user_team":"web"}'),
    ]


def test_tag_keys_and_table_columns_do_not_depend_on_the_format_lists() -> None:
    """A format listing no columns still lands its required and tags columns; tag keys are the
    header after the prefix as written, however the prefix is spelled."""
    from cpc.landing import _map_header

    fmt = BillingFormat(
        name="test", table="billing_test", label="Test export", columns=(),
        signatures=(("Cost", "Start"),), required=("start", "cost"),
        tag_prefixes=("resourceTags/",), tags_column="resource_tags",
    )
    spec = billing_table_spec(fmt)
    assert spec.landed_names == ("start", "cost", "resource_tags")
    header = ["Start", "COST", "resourceTags/user:Team", "resource_tags_user_env",
              "ResourceTags/Oracle-Tags.CreatedBy", "other"]
    mapping = _map_header("billing/t.csv", header, spec)
    assert mapping.matched == {"start": 0, "cost": 1}
    assert mapping.tags == [("user:Team", 2), ("user_env", 3), ("Oracle-Tags.CreatedBy", 4)]
    assert mapping.unknown == ["other"]
    with pytest.raises(UserError, match=r"missing required column\(s\) cost \(Test export"):
        _map_header("billing/t.csv", ["Start"], spec)
    assert match_key("resourceTags/user:Team") == match_key("resource_tags_user_team")


# --------------------------------------------------------------------------------------------
# JSON lines and nested parquet (GCP)
# --------------------------------------------------------------------------------------------

GCP_RECORDS = [
    {
        "billing_account_id": "012345-6789AB-CDEF01",
        "service": {"id": "6F81-5844-456A", "description": "Compute Engine"},
        "sku": {"id": "2E27-4F75-95CD", "description": "N1 Predefined Instance Core"},
        "usage_start_time": "2024-01-01 00:00:00 UTC",
        "usage_end_time": "2024-01-01 01:00:00 UTC",
        "project": {"id": "shop-prod", "labels": [{"key": "env", "value": "prod"}]},
        "labels": [{"key": "customer_id", "value": "acme"}],
        "location": {"location": "us-central1", "region": "us-central1", "zone": "us-central1-a"},
        "cost": 0,
        "currency": "USD",
        "usage": {"amount": 3600, "unit": "seconds", "amount_in_pricing_units": 1},
        "credits": [{"name": "Sustained use discount", "amount": -0.01, "type": "SUSTAINED"}],
        "invoice": {"month": "202401"},
        "cost_type": "regular",
    },
    {
        "billing_account_id": "012345-6789AB-CDEF01",
        "service": {"id": "24E6-581D-38E5", "description": "BigQuery"},
        "usage_start_time": "2024-01-01 01:00:00 UTC",
        "usage_end_time": "2024-01-01 02:00:00 UTC",
        "cost": 0.000012,
        "credits": [],
        "invoice": {"month": "202401"},
        "cost_type": "regular",
    },
]


def gcp_jsonl(records: list[dict]) -> str:
    """JSON lines with a blank line in the middle (not a record)."""
    lines = [json.dumps(record) for record in records]
    return lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n"


def test_gcp_json_lines_flattened_and_landed(tmp_path: Path, con) -> None:
    body = gcp_jsonl(GCP_RECORDS)
    summary = land(
        make_input(tmp_path, {"gcp/export.jsonl": body, "gcp/export2.json.gz": gzip.compress(
            body.encode())}),
        con,
    )
    assert summary.file_formats == {
        "billing/gcp/export.jsonl": "gcp", "billing/gcp/export2.json.gz": "gcp"
    }
    assert summary.table_rows["billing_gcp"] == 4
    assert "billing/gcp/export.jsonl" not in summary.unknown_columns
    got = rows(
        con,
        "SELECT _source_row, service_description, invoice_month, location_region, project_id,"
        " usage_amount_in_pricing_units, cost, usage_start_time, credits, labels, project_labels"
        " FROM cpc_raw.billing_gcp WHERE _source_file = 'billing/gcp/export.jsonl'"
        " ORDER BY _source_row",
    )
    first, second = got
    assert first[:8] == (
        1, "Compute Engine", "202401", "us-central1", "shop-prod", "1", "0",
        "2024-01-01 00:00:00 UTC",
    )
    assert json.loads(first[8]) == GCP_RECORDS[0]["credits"]
    assert json.loads(first[9]) == [{"key": "customer_id", "value": "acme"}]
    assert json.loads(first[10]) == [{"key": "env", "value": "prod"}]
    # record 2 (after the blank line): fields it leaves out are NULL; numbers land as text
    assert second[0] == 2 and second[1] == "BigQuery"
    assert second[3:6] == (None, None, None)
    assert float(second[6]) == 0.000012
    assert second[8] == "[]"
    gcp = FORMAT_BY_NAME["gcp"]
    if gcp.variant is not None:
        header = [name for name, _ in _flat_names(GCP_RECORDS)]
        assert rows(con, "SELECT DISTINCT _source_variant FROM cpc_raw.billing_gcp") == [
            (gcp.variant(header, "billing/gcp/export.jsonl"),)
        ]


def _flat_names(records: list[dict]) -> list[tuple[str, None]]:
    """Dotted leaf names of the records' objects, in first-seen order."""
    names: dict[str, None] = {}

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk(f"{prefix}.{key}" if prefix else key, child)
        else:
            names.setdefault(prefix)

    for record in records:
        walk("", record)
    return list(names.items())


def test_gcp_csv_with_dotted_headers(tmp_path: Path, con) -> None:
    content = (
        "billing_account_id,service.description,sku.description,usage_start_time,"
        "usage_end_time,cost,currency,project.id\n"
        "012345-6789AB-CDEF01,Cloud Storage,Standard Storage,2024-01-01T00:00:00Z,"
        "2024-01-02T00:00:00Z,0.5,USD,shop-prod\n"
    )
    land(make_input(tmp_path, {"gcp.csv": content}), con)
    assert rows(
        con, "SELECT service_description, project_id, cost FROM cpc_raw.billing_gcp"
    ) == [("Cloud Storage", "shop-prod", "0.5")]


def test_parquet_nested_structs_are_flattened(tmp_path: Path, con) -> None:
    path = tmp_path / "billing" / "gcp.parquet"
    path.parent.mkdir(parents=True)
    con.execute(
        "COPY (SELECT '012345' AS billing_account_id,"
        " {'id': 'S1', 'description': 'Compute Engine'} AS service,"
        " TIMESTAMPTZ '2024-01-01 00:00:00+00' AS usage_start_time,"
        " TIMESTAMPTZ '2024-01-01 01:00:00+00' AS usage_end_time,"
        " CAST(0.25 AS DOUBLE) AS cost,"
        " {'id': 'p', 'labels': [{'key': 'env', 'value': 'prod'}]} AS project,"
        " [{'name': 'c', 'amount': -0.1}] AS credits,"
        " {'month': '202401'} AS invoice, 'x' AS x_unknown"
        f") TO '{path}' (FORMAT parquet)"
    )
    summary = land(make_input(tmp_path, {}), con)
    assert summary.file_formats == {"billing/gcp.parquet": "gcp"}
    assert summary.unknown_columns == {"billing/gcp.parquet": ["x_unknown"]}
    assert rows(
        con,
        "SELECT service_description, usage_start_time, cost, project_id, project_labels,"
        " credits, invoice_month, _source_row FROM cpc_raw.billing_gcp",
    ) == [
        (
            "Compute Engine", "2024-01-01T00:00:00Z", "0.25", "p",
            '[{"key":"env","value":"prod"}]', '[{"name":"c","amount":-0.1}]', "202401", 1,
        )
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            json.dumps(GCP_RECORDS[0]) + "\n\n{\"cost\": oops}\n" + json.dumps(GCP_RECORDS[1]),
            r"^billing/g\.jsonl: line 3: malformed JSON: unexpected character$",
        ),
        ("[" + json.dumps(GCP_RECORDS[0]) + "]\n", r"^billing/g\.jsonl: a JSON array"),
        ("cost,usage\n1,2\n", r"^billing/g\.jsonl: not JSON lines"),
    ],
    ids=["malformed-line", "json-array", "not-json"],
)
def test_malformed_json_lines_are_one_line_errors(
    tmp_path: Path, con, content: str, expected: str
) -> None:
    make_input(tmp_path, {"g.jsonl": content})
    with pytest.raises(UserError) as excinfo:
        land(tmp_path, con)
    assert re.search(expected, one_line_error(excinfo)), str(excinfo.value)


def test_json_record_numbers_follow_file_order(tmp_path: Path, con) -> None:
    lines = []
    for i in range(1, 60_001):
        lines.append(json.dumps({
            "billing_account_id": "A", "service": {"description": f"s{i}"},
            "usage_start_time": "2024-01-01T00:00:00Z", "usage_end_time": "2024-01-01T01:00:00Z",
            "cost": i if i % 2 else i / 4,
        }))
        if i % 20_000 == 0:
            lines.append("")
    con.execute("SET threads = 4")
    land(make_input(tmp_path, {"big.jsonl": "\n".join(lines)}), con)
    assert rows(
        con,
        "SELECT count(*), count(*) FILTER (WHERE service_description <> 's' || _source_row)"
        " FROM cpc_raw.billing_gcp",
    ) == [(60_000, 0)]


def test_empty_json_file_lands_nothing(tmp_path: Path, con) -> None:
    summary = land(make_input(tmp_path, {"a.csv": FOCUS_CSV, "empty.ndjson": "\n\n"}), con)
    assert summary.file_rows["billing/empty.ndjson"] == 0
    assert any("billing/empty.ndjson is empty" in note for note in summary.notes)


# --------------------------------------------------------------------------------------------
# non-billing inputs
# --------------------------------------------------------------------------------------------


def test_other_costs_fx_rates_and_kubernetes_inputs_land(tmp_path: Path, con) -> None:
    make_input(
        tmp_path,
        {"a.csv": FOCUS_CSV},
        **{
            "other_costs.csv": (
                "Cost ID,Description,Category,Amount,Currency,Incurred Date,Amortization Months\n"
                "lic-1,Observability licence,observability,12000,USD,2024-01-01,12\n"
            ),
            "fx_rates.csv": "date,currency,rate\n2024-01-01,EUR,1.1\n2024-01-01,GBP,1.27\n",
            "k8s_namespaces.csv": "cluster_id,namespace,customer_id\nprod,acme,c1\n",
            "k8s_usage/2024-01.csv": (
                "interval_start,interval_end,cluster_id,node_id,namespace,pod,cpu_request_cores,"
                "cpu_usage_cores,memory_request_bytes,memory_usage_bytes\n"
                "2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,prod,node-1,acme,web-0,0.5,0.2,"
                "1073741824,536870912\n"
            ),
        },
    )
    summary = land(tmp_path, con)
    assert {t: summary.table_rows[t] for t in ("other_costs", "fx_rates", "k8s_usage",
                                                "k8s_namespaces")} == {
        "other_costs": 1, "fx_rates": 2, "k8s_usage": 1, "k8s_namespaces": 1
    }
    assert rows(
        con,
        "SELECT cost_id, category, amount, incurred_date, amortization_months, customer_id,"
        " _source_file, _source_row FROM cpc_raw.other_costs",
    ) == [("lic-1", "observability", "12000", "2024-01-01", "12", None, "other_costs.csv", 1)]
    assert rows(con, "SELECT * EXCLUDE (_delivered_at) FROM cpc_raw.fx_rates ORDER BY 4") == [
        ("2024-01-01", "EUR", "1.1", "fx_rates.csv", 1, None, "point", None),
        ("2024-01-01", "GBP", "1.27", "fx_rates.csv", 2, None, "point", None),
    ]
    assert rows(
        con, "SELECT node_id, cpu_usage_cores, customer_id, _source_file FROM cpc_raw.k8s_usage"
    ) == [("node-1", "0.2", None, "k8s_usage/2024-01.csv")]
    # a required column missing
    write(tmp_path / "fx_rates.csv", "date,currency\n2024-01-01,EUR\n")
    with pytest.raises(UserError) as excinfo:
        land(tmp_path, con)
    assert one_line_error(excinfo) == (
        "fx_rates.csv: missing required column(s) rate (expected date, currency, rate)"
    )


def test_every_table_exists_after_landing(tmp_path: Path, con) -> None:
    shutil.rmtree(tmp_path, ignore_errors=True)
    land(make_input(tmp_path, {"a.csv": FOCUS_CSV}), con)
    tables = {row[0] for row in rows(con, "SELECT table_name FROM duckdb_tables()")}
    assert tables == {spec.name for spec in TABLES} | {RECORD_TABLE}
    assert {"billing", "billing_aws", "billing_azure", "billing_gcp", "billing_oci", "other_costs",
            "fx_rates", "k8s_usage", "k8s_namespaces"} <= tables

"""Google Cloud and Oracle Cloud billing exports: detection, landing and staging.

The hand-written fixtures (tests/fixtures/provider_exports/gcp and oci, figures in their NOTICE.md)
are landed with ``cpc land`` and only the two staging models are built (``dbt build -s``), so these
tests check the provider mapping on its own: row counts, EffectiveCost = cost + credits, the
customer tag read from labels and tags/* columns, corrections, and each defect's reason.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FIXTURES, land_and_stage, query
from cpc.formats import detect, gcp, oci

#: The seeds the staging models join (built with them).
REFERENCE_SEEDS = ("provider_service_categories", "service_category_cost_categories")

GCP_FIXTURES = FIXTURES / "provider_exports" / "gcp"
OCI_FIXTURES = FIXTURES / "provider_exports" / "oci"
GCP_JSONL = "billing/gcp/billing_export_detailed_2024-03.jsonl"
GCP_CSV = "billing/gcp/billing_export_standard_2024-04.csv"
OCI_CSV = "billing/oci/cost_report_2024-03-01.csv"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The GCP and OCI fixtures landed and their staging models built (with data tests)."""
    root = tmp_path_factory.mktemp("gcp_oci")
    input_dir = root / "input"
    shutil.copytree(
        GCP_FIXTURES, input_dir / "billing" / "gcp", ignore=shutil.ignore_patterns("*.md")
    )
    shutil.copytree(
        OCI_FIXTURES, input_dir / "billing" / "oci", ignore=shutil.ignore_patterns("*.md")
    )
    (input_dir / "customers.csv").write_text(
        "customer_id,customer_name,segment\nacme,Acme,enterprise\n"
    )
    return land_and_stage(input_dir, root, "stg_gcp__billing_export", "stg_oci__cost_reports", *REFERENCE_SEEDS)


def test_headers_are_recognized_with_their_variant() -> None:
    jsonl_header = [
        "billing_account_id",
        "service.id",
        "service.description",
        "usage_start_time",
        "usage_end_time",
        "cost",
        "credits",
        "resource.name",
        "resource.global_name",
    ]
    csv_header = [
        "billing_account_id",
        "service_description",
        "usage_start_time",
        "usage_end_time",
        "cost",
    ]
    oci_header = [
        "lineItem/referenceNo",
        "lineItem/intervalUsageStart",
        "lineItem/intervalUsageEnd",
        "cost/myCost",
        "tags/Oracle-Tags.CreatedBy",
    ]
    assert detect(jsonl_header, "a.jsonl") is gcp.FORMAT
    assert detect(csv_header, "a.csv") is gcp.FORMAT
    assert detect(oci_header, "b.csv") is oci.FORMAT
    assert gcp.variant(jsonl_header, "a.jsonl") == "detailed"
    assert gcp.variant(csv_header, "a.csv") == "standard"
    for fmt in (gcp.FORMAT, oci.FORMAT):
        landed = [name for _, name in fmt.columns]
        assert len(set(landed)) == len(landed), fmt.name
        assert set(fmt.required) <= set(landed), fmt.name


def test_gcp_export_effective_cost_is_cost_plus_credits(staged: Path) -> None:
    by_file = {
        row[0]: row[1:]
        for row in query(
            staged,
            """
            select source_file, count(*), sum(billed_cost), sum(effective_cost),
                   sum(case when quarantine_reason is null then effective_cost end),
                   min(source_variant), max(source_variant)
            from staging.stg_gcp__billing_export group by source_file
        """,
        )
    }
    # JSON lines: cost 11.05, credits -1.15 (sustained use, free tier, promotion), all rows good
    assert by_file[GCP_JSONL] == (
        7,
        Decimal("11.05"),
        Decimal("9.90"),
        Decimal("9.90"),
        "detailed",
        "detailed",
    )
    # CSV: one row's credits are truncated JSON (EffectiveCost unreadable), one has an impossible date
    assert by_file[GCP_CSV] == (
        4,
        Decimal("6.02"),
        Decimal("5.52"),
        Decimal("5.02"),
        "standard",
        "standard",
    )

    by_customer = dict(
        query(
            staged,
            """
        select coalesce(customer_tag, '-'), sum(effective_cost) from staging.stg_gcp__billing_export
        where source_file like '%.jsonl' group by 1
    """,
        )
    )
    # data-platform's project label customer_id=initech is not a tag: BigQuery stays untagged
    assert by_customer == {"acme": Decimal("1.92"), "globex": Decimal("1.88"), "-": Decimal("6.10")}

    categories = dict(
        query(
            staged,
            """
        select charge_category, sum(effective_cost) from staging.stg_gcp__billing_export
        where source_file like '%.jsonl' group by 1
    """,
        )
    )
    assert categories == {
        "Usage": Decimal("10.05"),
        "Tax": Decimal("0.85"),
        "Credit": Decimal("-1.00"),
    }

    reasons = query(
        staged,
        """
        select source_row, quarantine_reason, effective_cost from staging.stg_gcp__billing_export
        where quarantine_reason is not null order by source_file, source_row
    """,
    )
    assert reasons == [
        (3, "unparseable credits", None),
        (4, "unparseable usage_start_time", Decimal("0.50")),
    ]

    first = query(
        staged,
        f"""
        select sub_account_id, service_category, region_id, resource_id, list_cost, tags,
               cast(billing_period_start_at as varchar), cast(billing_period_end_at as varchar)
        from staging.stg_gcp__billing_export where charge_id = '{GCP_JSONL}:1'
    """,
    )
    assert first == [
        (
            "shop-prod",
            "Compute",
            "us-central1",
            "//compute.googleapis.com/projects/shop-prod/zones/us-central1-a/instances/4711",
            Decimal("2.40"),
            '{"customer_id":"acme"}',
            "2024-03-01 00:00:00",
            "2024-04-01 00:00:00",
        )
    ]


def test_oci_cost_report_tags_corrections_and_reasons(staged: Path) -> None:
    rows = query(
        staged,
        """
        select source_row, line_item_id, sub_account_name, charge_category, charge_class, customer_tag,
               effective_cost, quarantine_reason
        from staging.stg_oci__cost_reports order by source_row
    """,
    )
    assert len(rows) == 7
    assert all(row[1] == f"V2.aBcD1xYz000{row[0]}==" for row in rows)
    assert rows[5][3:5] == ("Adjustment", "Correction")
    assert rows[6][7] == "unparseable lineItem/intervalUsageStart"
    assert sum(row[6] for row in rows if row[7] is None) == Decimal("2.65")

    by_customer: dict[str, Decimal] = {}
    by_compartment: dict[str, Decimal] = {}
    for _, _, compartment, _, _, customer, cost, reason in rows:
        if reason is None:
            by_customer[customer or "-"] = by_customer.get(customer or "-", Decimal(0)) + cost
            by_compartment[compartment] = by_compartment.get(compartment, Decimal(0)) + cost
    assert by_customer == {"acme": Decimal("1.30"), "globex": Decimal("0.80"), "-": Decimal("0.55")}
    assert by_compartment == {"shop": Decimal("2.10"), "analytics": Decimal("0.55")}

    # the defined and free-form tags/* columns arrive as one JSON object keyed after 'tags/'
    [(tags,)] = query(staged, "select tags from staging.stg_oci__cost_reports where source_row = 4")
    assert '"Finance.CostCenter":"CC-200"' in tags.replace(" ", "")

"""Azure cost details exports (EA and MCA, actual and amortized) staged by stg_azure__cost_details.

The public EA sample and the hand-written MCA exports (tests/fixtures/provider_exports/azure-mca,
whose NOTICE.md holds the hand-computed totals asserted here) are landed with `cpc land` and the
staging model is built alone with dbt (its unit tests run with it).
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import land_and_stage, query
from cpc import PROJECT_DIR

#: The seeds the staging models join (built with them).
REFERENCE_SEEDS = ("provider_service_categories", "service_category_cost_categories")

PROVIDER_EXPORTS = PROJECT_DIR / "tests" / "fixtures" / "provider_exports"
EA_SAMPLE = next(PROVIDER_EXPORTS.glob("azure-ea/*.csv"))
MCA_EXPORTS = PROVIDER_EXPORTS / "azure-mca"
STAGING = "staging.stg_azure__cost_details"
EA_FILE = f"billing/ea/{EA_SAMPLE.name}"
ACTUAL_FILE = "billing/mca/ActualCost_202403.csv"
AMORTIZED_FILE = "billing/mca/AmortizedCost_202403.csv"


@pytest.fixture(scope="module")
def azure_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The EA sample and the MCA actual and amortized exports, landed and staged."""
    root = tmp_path_factory.mktemp("azure")
    billing = root / "input" / "billing"
    (billing / "ea").mkdir(parents=True)
    (billing / "mca").mkdir(parents=True)
    shutil.copy(EA_SAMPLE, billing / "ea" / EA_SAMPLE.name)
    for export in MCA_EXPORTS.glob("*.csv"):
        shutil.copy(export, billing / "mca" / export.name)
    (root / "input" / "customers.csv").write_text(
        "customer_id,segment\nacme,smb\nglobex,enterprise\n", encoding="utf-8"
    )
    return land_and_stage(root / "input", root, "stg_azure__cost_details", *REFERENCE_SEEDS)


def test_every_landed_row_is_staged_with_its_dataset(azure_warehouse: Path) -> None:
    landed = query(
        azure_warehouse,
        "select _source_file, _source_variant, count(*) from cpc_raw.billing_azure group by 1, 2",
    )
    assert sorted(landed) == [
        (EA_FILE, None, 27),
        (ACTUAL_FILE, "actual", 8),
        (AMORTIZED_FILE, "amortized", 7),
    ]
    staged = query(
        azure_warehouse,
        f"select source_file, source_variant, count(*), count(quarantine_reason) from {STAGING} "
        "group by 1, 2",
    )
    assert sorted(staged) == [(file, variant, rows, 0) for file, variant, rows in sorted(landed)]


def test_ea_sample_stages_fully(azure_warehouse: Path) -> None:
    with EA_SAMPLE.open(encoding="utf-8-sig", newline="") as sample:
        # Money is decimal(38, 10): each row's cost to 10 places, then summed.
        costs = [
            Decimal(row["CostInBillingCurrency"]).quantize(Decimal("1e-10"))
            for row in csv.DictReader(sample)
        ]
    (summary,) = query(
        azure_warehouse,
        "select count(*), sum(billed_cost), sum(effective_cost), min(billing_currency), "
        "max(billing_currency), min(billing_account_id), min(charge_period_start_at), "
        "max(charge_period_end_at), min(billing_period_start_at), max(billing_period_end_at), "
        "count(distinct charge_category), min(charge_category), min(provider_name), "
        "count(commitment_discount_id), count(customer_tag) "
        f"from {STAGING} where source_file = '{EA_FILE}'",
    )
    count, billed, effective, *rest = summary
    assert count == 27 and billed == effective == sum(costs)
    assert [str(value) for value in rest] == [
        "CAD", "CAD", "12345678", "2023-09-02 00:00:00", "2023-09-03 00:00:00",
        "2023-09-01 00:00:00", "2023-10-01 00:00:00", "1", "Usage", "Microsoft", "0", "0",
    ]  # fmt: skip
    by_service = query(
        azure_warehouse,
        f"select service_name, service_category, count(*) from {STAGING} "
        f"where source_file = '{EA_FILE}' group by 1, 2",
    )
    assert sorted(by_service) == [
        ("Azure Data Factory v2", "Integration", 2),
        ("Event Hubs", "Integration", 1),
        ("Storage", "Storage", 5),
        ("Virtual Machines", "Compute", 7),
        ("Virtual Network", "Networking", 12),
    ]
    (row,) = query(
        azure_warehouse,
        "select region_id, pricing_category, tags, tags_map['tagB'], has_valid_tags "
        f"from {STAGING} where charge_id = '{EA_FILE}:3'",
    )
    assert row == (
        "centralus",
        "Dynamic",
        '{"tagA": "valueA","tagB": "valueB","tagC": "valueC"}',
        "valueB",
        True,
    )


def test_mca_actual_export_sums_to_the_invoice(azure_warehouse: Path) -> None:
    (totals,) = query(
        azure_warehouse,
        "select sum(billed_cost), sum(effective_cost), sum(list_cost), min(billing_account_id), "
        "min(billing_currency), min(invoice_id) "
        f"from {STAGING} where source_file = '{ACTUAL_FILE}'",
    )
    assert totals == (
        Decimal("36.54"), Decimal("11.54"), Decimal("11.9016"), "AB12-CD34-EF5-GH6", "EUR",
        "G000000002",
    )  # fmt: skip
    rows = query(
        azure_warehouse,
        "select source_row, charge_category, charge_class, billed_cost, effective_cost, "
        "commitment_discount_type, commitment_discount_status, customer_tag "
        f"from {STAGING} where source_file = '{ACTUAL_FILE}' order by source_row",
    )
    assert rows == [
        (1, "Purchase", None, Decimal(30), Decimal(0), "Reservation", None, None),
        (2, "Usage", None, Decimal(0), Decimal(0), "Reservation", "Used", "acme"),
        (3, "Usage", None, Decimal(0), Decimal(0), "Reservation", "Used", "globex"),
        (4, "Usage", None, Decimal("4.5"), Decimal("4.5"), None, None, "acme"),
        (5, "Usage", None, Decimal("3.24"), Decimal("3.24"), None, None, "globex"),
        (6, "Tax", None, Decimal("3.78"), Decimal("3.78"), None, None, None),
        (7, "Purchase", "Correction", Decimal(-5), Decimal(0), "Reservation", None, None),
        (8, "Adjustment", None, Decimal("0.02"), Decimal("0.02"), None, None, None),
    ]


def test_mca_amortized_export_carries_the_reservation_in_effective_cost(
    azure_warehouse: Path,
) -> None:
    (totals,) = query(
        azure_warehouse,
        "select sum(billed_cost), sum(effective_cost), sum(list_cost), "
        "sum(case when commitment_discount_status = 'Used' then effective_cost end), "
        "sum(case when is_unused_commitment then effective_cost end) "
        f"from {STAGING} where source_file = '{AMORTIZED_FILE}'",
    )
    assert totals == (
        Decimal("11.54"), Decimal("41.54"), Decimal("13.284"), Decimal(22), Decimal(8),
    )  # fmt: skip
    # The reservation's used and unused cost in the amortized export is its purchase's BilledCost
    # in the actual export.
    (purchase,) = query(
        azure_warehouse,
        f"select billed_cost from {STAGING} where source_file = '{ACTUAL_FILE}' "
        "and charge_category = 'Purchase' and charge_class is null",
    )
    assert purchase == (totals[3] + totals[4],)
    by_customer = query(
        azure_warehouse,
        f"select customer_tag, sum(effective_cost) from {STAGING} "
        f"where source_file = '{AMORTIZED_FILE}' group by 1",
    )
    assert dict(by_customer) == {
        "acme": Decimal("16.5"),
        "globex": Decimal("13.24"),
        None: Decimal("11.8"),
    }
    (unused,) = query(
        azure_warehouse,
        "select charge_category, billed_cost, commitment_discount_category, service_category, "
        f"consumed_quantity, pricing_quantity from {STAGING} where is_unused_commitment",
    )
    assert unused == ("Usage", Decimal(0), "Usage", "Compute", None, Decimal(16))

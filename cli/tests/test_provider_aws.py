"""AWS Cost and Usage Report: legacy CSV, CUR 2.0 CSV and CUR 2.0 parquet land in cpc_raw.billing_aws
and stg_aws__cost_and_usage maps them to the billing charge contract with the hand-computed figures
of tests/fixtures/provider_exports/aws-cur2/NOTICE.md (one landing, one dbt build of the model)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURES, land_and_stage, query

#: The seeds the staging models join (built with them).
REFERENCE_SEEDS = ("provider_service_categories", "service_category_cost_categories")

LEGACY_SAMPLE = (
    FIXTURES / "provider_exports" / "aws-cur-legacy" / "sample-anonymous-aws-export-dataset.csv"
)
CUR2_CSV = FIXTURES / "provider_exports" / "aws-cur2" / "cur2-2024-03.csv"

#: A legacy CUR with resourceTags columns: one good tagged row and one row per defect.
LEGACY_TAGGED = """\
identity/LineItemId,identity/TimeInterval,bill/PayerAccountId,lineItem/UsageAccountId,lineItem/LineItemType,\
lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/ProductCode,lineItem/UnblendedCost,lineItem/CurrencyCode,\
resourceTags/user:customer_id,resourceTags/user:team
t1,2024-02-01T00:00:00Z/2024-02-02T00:00:00Z,111122223333,044455556666,Usage,2024-02-01T00:00:00Z,\
2024-02-02T00:00:00Z,AmazonS3,2.50,USD,acme,data
t2,2024-02-01T00:00:00Z/2024-02-02T00:00:00Z,111122223333,044455556666,Usage,2024-02-30T00:00:00Z,\
2024-02-02T00:00:00Z,AmazonS3,1.00,USD,,
t3,2024-02-01T00:00:00Z/2024-02-02T00:00:00Z,111122223333,044455556666,Usage,2024-02-01T00:00:00Z,\
2024-02-02T00:00:00Z,AmazonS3,abc,USD,globex,
t4,2024-02-01T00:00:00Z/2024-02-02T00:00:00Z,111122223333,044455556666,Usage,2024-02-02T00:00:00Z,\
2024-02-01T00:00:00Z,AmazonS3,1.00,USD,,
"""

CUR2_MONEY = (
    "line_item_usage_amount",
    "line_item_unblended_rate",
    "line_item_unblended_cost",
    "line_item_net_unblended_cost",
    "line_item_blended_cost",
    "pricing_public_on_demand_cost",
    "reservation_effective_cost",
    "reservation_net_effective_cost",
    "reservation_amortized_upfront_fee_for_billing_period",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_net_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
    "savings_plan_recurring_commitment_for_billing_period",
    "savings_plan_amortized_upfront_commitment_for_billing_period",
)
CUR2_TIMES = (
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
)

STAGING = "staging.stg_aws__cost_and_usage"
CUR2_FILES = ("billing/cur2/cur2-2024-03.csv", "billing/cur2-parquet/cur2-2024-03.parquet")


def write_cur2_parquet(csv_path: Path, parquet_path: Path) -> None:
    """The CUR 2.0 fixture as Data Exports writes parquet: maps as MAP, money as DOUBLE, times as TIMESTAMP."""
    casts = [
        f"try_cast(try_cast({name} as json) as map(varchar, varchar)) as {name}"
        for name in ("resource_tags", "product")
    ]
    casts += [f"cast({name} as double) as {name}" for name in CUR2_MONEY]
    casts += [f"cast(cast({name} as timestamptz) as timestamp) as {name}" for name in CUR2_TIMES]
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(
            f"copy (select * replace ({', '.join(casts)}) "
            f"from read_csv('{csv_path}', all_varchar = true, header = true)) "
            f"to '{parquet_path}' (format parquet)"
        )


@pytest.fixture(scope="module")
def aws_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The legacy sample, the CUR 2.0 fixture (CSV and parquet) and a tagged legacy file with
    defects, landed with `cpc land` and built with `dbt build -s stg_aws__cost_and_usage`."""
    root = tmp_path_factory.mktemp("aws")
    billing = root / "input" / "billing"
    for folder in ("legacy", "cur2", "cur2-parquet", "legacy-tagged"):
        (billing / folder).mkdir(parents=True)
    shutil.copy(LEGACY_SAMPLE, billing / "legacy" / LEGACY_SAMPLE.name)
    shutil.copy(CUR2_CSV, billing / "cur2" / CUR2_CSV.name)
    write_cur2_parquet(CUR2_CSV, billing / "cur2-parquet" / "cur2-2024-03.parquet")
    (billing / "legacy-tagged" / "tagged.csv").write_text(LEGACY_TAGGED, encoding="utf-8")
    (root / "input" / "customers.csv").write_text(
        "customer_id,segment\nacme,smb\nglobex,enterprise\n"
    )
    return land_and_stage(root / "input", root, "stg_aws__cost_and_usage", *REFERENCE_SEEDS)


def test_every_landed_row_is_staged_with_its_variant(aws_warehouse: Path) -> None:
    landed = dict(
        query(aws_warehouse, "select _source_file, count(*) from cpc_raw.billing_aws group by 1")
    )
    assert landed == {
        "billing/legacy/sample-anonymous-aws-export-dataset.csv": 1281,
        "billing/cur2/cur2-2024-03.csv": 20,
        "billing/cur2-parquet/cur2-2024-03.parquet": 20,
        "billing/legacy-tagged/tagged.csv": 4,
    }
    staged = query(
        aws_warehouse, f"select source_file, source_variant, count(*) from {STAGING} group by 1, 2"
    )
    assert {file: rows for file, _, rows in staged} == landed
    assert {file: variant for file, variant, _ in staged} == {
        "billing/legacy/sample-anonymous-aws-export-dataset.csv": "legacy",
        "billing/cur2/cur2-2024-03.csv": "cur2",
        "billing/cur2-parquet/cur2-2024-03.parquet": "cur2",
        "billing/legacy-tagged/tagged.csv": "legacy",
    }


def test_legacy_sample_is_usage_and_tax_at_its_unblended_cost(aws_warehouse: Path) -> None:
    [(rows, billed, effective, categories, quarantined, line_items)] = query(
        aws_warehouse,
        f"""
        select count(*), sum(billed_cost), sum(effective_cost), string_agg(distinct charge_category, ',' order by charge_category),
               count(quarantine_reason), count(distinct line_item_id)
        from {STAGING} where source_file like 'billing/legacy/%'""",
    )
    assert (rows, quarantined, line_items, categories) == (1281, 0, 1281, "Tax,Usage")
    assert billed == effective == Decimal("1.6823086974")


@pytest.mark.parametrize("source_file", CUR2_FILES)
def test_cur2_figures_match_the_hand_computed_ones(aws_warehouse: Path, source_file: str) -> None:
    [(billed, effective, unused, listed, quarantined)] = query(
        aws_warehouse,
        f"""
        select sum(billed_cost), sum(effective_cost), sum(effective_cost) filter (where is_unused_commitment),
               sum(list_cost), count(quarantine_reason)
        from {STAGING} where source_file = '{source_file}'""",
    )
    assert (billed, effective, unused, listed, quarantined) == (
        Decimal("131.43"),
        Decimal("51.27"),
        Decimal("22.24"),
        Decimal("34.656"),
        0,
    )
    by_customer = dict(
        query(
            aws_warehouse,
            f"""
        select coalesce(customer_tag, '-'), sum(effective_cost) from {STAGING}
        where source_file = '{source_file}' group by 1""",
        )
    )
    assert by_customer == {
        "acme": Decimal("10.08"),
        "globex": Decimal("16.00"),
        "-": Decimal("25.19"),
    }


@pytest.mark.parametrize("source_file", CUR2_FILES)
def test_each_commitment_is_counted_once(aws_warehouse: Path, source_file: str) -> None:
    """Per commitment: Used + Unused EffectiveCost = recurring fee BilledCost + amortized upfront
    fee for the period; the upfront payment is billed but costs nothing itself."""
    figures = {
        row[0]: row[1:]
        for row in query(
            aws_warehouse,
            f"""
            select
                staged.commitment_discount_type,
                sum(staged.effective_cost) filter (where staged.commitment_discount_status = 'Used'),
                sum(staged.effective_cost) filter (where staged.commitment_discount_status = 'Unused'),
                sum(staged.billed_cost) filter (where staged.commitment_discount_status = 'Unused'),
                sum(coalesce(try_cast(raw.reservation_amortized_upfront_fee_for_billing_period as decimal(38, 10)), 0)
                    + coalesce(try_cast(raw.savings_plan_amortized_upfront_commitment_for_billing_period as decimal(38, 10)), 0))
                    filter (where staged.commitment_discount_status = 'Unused'),
                sum(staged.billed_cost) filter (where staged.commitment_discount_status is null),
                sum(staged.effective_cost) filter (where staged.commitment_discount_status is null)
            from {STAGING} as staged
            inner join cpc_raw.billing_aws as raw
                on raw._source_file = staged.source_file and raw._source_row = staged.source_row
            where staged.source_file = '{source_file}' and staged.commitment_discount_id is not null
            group by 1""",
        )
    }
    assert figures == {
        "Savings Plan": (Decimal(19), Decimal(1), Decimal(20), Decimal(0), None, None),
        "Reserved Instance": (
            Decimal("1.08"),
            Decimal("21.24"),
            Decimal("14.88"),
            Decimal("7.44"),
            Decimal("87.60"),
            Decimal(0),
        ),
    }
    for used, unused, fee_billed, amortized_upfront, *_ in figures.values():
        assert used + unused == fee_billed + amortized_upfront


def test_tags_and_defects_of_a_legacy_file(aws_warehouse: Path) -> None:
    rows = query(
        aws_warehouse,
        f"""
        select source_row, customer_tag, tags, effective_cost, quarantine_reason from {STAGING}
        where source_file = 'billing/legacy-tagged/tagged.csv' order by source_row""",
    )
    assert [(row, tag, reason) for row, tag, _, _, reason in rows] == [
        (1, "acme", None),
        (2, None, "unparseable lineItem/UsageStartDate"),
        (
            3,
            "globex",
            "unparseable lineItem/UnblendedCost (or the reservation/savingsPlan cost its LineItemType uses)",
        ),
        (4, None, "lineItem/UsageEndDate before lineItem/UsageStartDate"),
    ]
    assert rows[0][3] == Decimal("2.5")
    assert rows[0][2] is not None and '"user:team"' in rows[0][2]

"""Other costs (other_costs.csv) end to end on DuckDB: amortized to the cent over their whole
schedule (mid-month across a year end, from a leap day), placed by category and pool rules or
directly on the customer they name, quarantined when unusable, and conserved with the bill.

The input is written here by hand (a one-row FOCUS bill, two customers, six costs)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import build_ok, query
from cpc.errors import UserError
from cpc.rules import compile_match

OTHER_COSTS = """\
cost_id,description,category,amount,currency,incurred_date,amortization_months,customer_id,pool
ENG-1,Engineering salaries,Engineering,"$1,000.00",USD,2024-01-15,12,,
HW-1,Servers bought on leap day,hardware,10000.01,,2024-02-29,36,,lab
SEC-1,SOC 2 audit for Acme,Compliance,333.33,USD,2024-01-10,0,ACME,
SEC-2,Audit for a deleted customer,security,50,USD,2024-01-11,,ghost,
LIC-1,Unmatched licence,licence,7.77,USD,2024-01-12,1,,
BAD-1,Negative months,engineering,99,USD,2024-01-12,-3,,
"""

ALLOCATION = """\
rules:
  - name: tagged
    method: tag
  - name: engineering-evenly
    match: "category = 'engineering'"
    method: even
  - name: lab-pool
    match: "pool = 'lab'"
    method: fixed
    shares: {acme: 0.75, globex: 0.25}
"""

BILLING = """\
BillingCurrency,ChargePeriodStart,ChargePeriodEnd,EffectiveCost,BilledCost,ServiceName,ServiceCategory,ChargeCategory,Tags
USD,2024-01-10T00:00:00Z,2024-01-11T00:00:00Z,12.50,12.50,Amazon EC2,Compute,Usage,"{""customer_id"": ""acme""}"
"""

#: cost_id -> (record, amount, first day, last day, days)
SCHEDULES = {
    "ENG-1": (1, Decimal("1000.00"), date(2024, 1, 15), date(2025, 1, 14), 366),
    "HW-1": (2, Decimal("10000.01"), date(2024, 2, 29), date(2027, 2, 27), 1095),
    "SEC-1": (3, Decimal("333.33"), date(2024, 1, 10), date(2024, 1, 10), 1),
    "SEC-2": (4, Decimal(50), date(2024, 1, 11), date(2024, 1, 11), 1),
    "LIC-1": (5, Decimal("7.77"), date(2024, 1, 12), date(2024, 2, 11), 31),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("other_costs")
    input_dir = root / "input"
    (input_dir / "billing").mkdir(parents=True)
    (input_dir / "billing" / "bill.csv").write_text(BILLING)
    (input_dir / "customers.csv").write_text(
        "customer_id,customer_name,segment\nacme,Acme,enterprise\nglobex,Globex,smb\n"
    )
    (input_dir / "other_costs.csv").write_text(OTHER_COSTS)
    (input_dir / "allocation.yml").write_text(ALLOCATION)
    path = root / "warehouse.duckdb"
    build_ok(input_dir, path)
    return path


def test_each_cost_amortizes_to_the_cent_over_its_whole_schedule(warehouse: Path) -> None:
    days = {
        row[0]: row[1:]
        for row in query(
            warehouse,
            "select charge_id, sum(effective_cost), min(cost_date), max(cost_date), count(*),"
            " min(effective_cost), max(effective_cost)"
            " from intermediate.int_charges_prorated where charge_id like 'other_costs.csv:%'"
            " group by charge_id",
        )
    }
    assert set(days) == {f"other_costs.csv:{record}" for record, *_ in SCHEDULES.values()}
    for record, amount, first, last, count in SCHEDULES.values():
        total, first_day, last_day, day_count, smallest, largest = days[f"other_costs.csv:{record}"]
        assert (total, first_day, last_day, day_count) == (amount, first, last, count)
        # Straight-line: every day is the amount over the days, to the money type's 1e-10.
        assert largest - smallest <= Decimal("1e-10")


def test_rules_and_direct_placement(warehouse: Path) -> None:
    placed = {
        tuple(row[:2]): row[2]
        for row in query(
            warehouse,
            "select rule_name, customer_id, sum(allocated_cost) from marts.customer_costs_daily"
            " group by 1, 2",
        )
    }
    # SOC 2 audit names ACME: placed on acme (ids match case-insensitively) before any rule.
    assert placed[("direct", "acme")] == Decimal("333.33")
    # Engineering (by its category) evenly between the two customers, every day of the year.
    assert placed[("engineering-evenly", "acme")] + placed[
        ("engineering-evenly", "globex")
    ] == Decimal("1000.00")
    assert abs(placed[("engineering-evenly", "acme")] - Decimal(500)) < Decimal("1e-6")
    # The lab pool's servers by fixed shares.
    assert placed[("lab-pool", "acme")] + placed[("lab-pool", "globex")] == Decimal("10000.01")
    assert abs(placed[("lab-pool", "acme")] - Decimal("7500.0075")) < Decimal("1e-6")
    assert placed[("tagged", "acme")] == Decimal("12.50")
    unattributed = dict(
        query(
            warehouse,
            "select reason, sum(unattributed_cost) from marts.unattributed_costs_daily group by 1",
        )
    )
    # The deleted customer's audit, the licence no rule matches, the quarantined record.
    assert unattributed == {
        "unknown_customer": Decimal(50),
        "untagged": Decimal("7.77"),
        "quarantined_input": Decimal(99),
    }
    quarantined = query(
        warehouse,
        "select source_file, source_row, quarantine_reason from marts.quarantined_rows",
    )
    assert quarantined == [("other_costs.csv", 6, "negative amortization_months")]


def test_every_pool_has_its_cost_category(warehouse: Path) -> None:
    categories = dict(
        query(
            warehouse,
            "select pools.cost_category, sum(ledger.allocated_cost) from marts.customer_costs_daily"
            " as ledger inner join intermediate.int_cost_pools as pools on ledger.pool_id ="
            " pools.pool_id group by 1",
        )
    )
    assert categories == {
        "engineering": Decimal("1000.00"),
        "compute": Decimal("10012.51"),
        "security": Decimal("333.33"),
    }


def test_conserved_with_the_bill(warehouse: Path) -> None:
    allocated, unattributed = query(
        warehouse,
        "select (select sum(allocated_cost) from marts.customer_costs_daily),"
        " (select sum(unattributed_cost) from marts.unattributed_costs_daily)",
    )[0]
    other_costs = sum(amount for _, amount, *_ in SCHEDULES.values()) + 99
    assert allocated + unattributed == Decimal("12.50") + other_costs


def test_predicates_name_category_and_pool() -> None:
    assert compile_match("Category = 'engineering' and pool is not null") == (
        "(cost_category = 'engineering' AND NOT pool_name IS NULL)"
    )
    assert (
        compile_match("pool in ('lab', 'platform')", "spark")
        == "(pool_name IN ('lab', 'platform'))"
    )
    with pytest.raises(UserError, match="did you mean category"):
        compile_match("categry = 'security'")

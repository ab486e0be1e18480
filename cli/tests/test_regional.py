"""Regional charges end to end on DuckDB: a data-residency surcharge on EU charges, a network
premium listed for one region only and allocated by its own rule, and internet egress billed
under "AWS Data Transfer" split by each customer's egress_gb telemetry of another service in the
charge's region (``across_services``). Every figure below is computed by hand; the input is
hand-written for this test.

Bill (one day, USD): EC2 eu-west-1 100.00 (acme's tag), EC2 us-east-1 50.00 (globex's tag),
data transfer eu-west-1 30.00, us-east-1 12.00, ap-south-1 6.00. Egress telemetry (service
"api"): eu-west-1 acme 30 GB, globex 10 GB; us-east-1 globex 40 GB, initech 20 GB; none in
ap-south-1, which therefore splits by all egress (acme 30, globex 50, initech 20).
Surcharges: eu-data-residency 10 % of every EU charge (as security): 10.00 + 3.00; premium-network
5 % of networking in us-east-1 only: 0.60, split evenly by its own rule (0.20 each).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from conftest import build_ok, query
from cpc.errors import UserError
from cpc.rules import load_rules

BILLING_HEADER = [
    "BillingAccountId", "BillingCurrency", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory",
    "BilledCost", "EffectiveCost", "ListCost", "ServiceName", "ServiceCategory", "RegionId",
    "ResourceId", "ChargeDescription", "Tags",
]

#: (service, category, region, cost, description, customer tag)
CHARGES = [
    ("Amazon EC2", "Compute", "eu-west-1", "100.00", "m7g.large", "acme"),
    ("Amazon EC2", "Compute", "us-east-1", "50.00", "m7g.large", "globex"),
    ("AWS Data Transfer", "Networking", "eu-west-1", "30.00", "data transfer out to internet", None),
    ("AWS Data Transfer", "Networking", "us-east-1", "12.00", "data transfer out to internet", None),
    ("AWS Data Transfer", "Networking", "ap-south-1", "6.00", "data transfer out to internet", None),
]

#: (customer, region, egress GB), all under service "api", not the billing service.
EGRESS = [
    ("acme", "eu-west-1", 30), ("globex", "eu-west-1", 10),
    ("globex", "us-east-1", 40), ("initech", "us-east-1", 20),
]

ALLOCATION = """\
surcharges:
  - name: eu-data-residency
    match: "region_id like 'eu-%'"
    rate: 0.10
    category: security
  - name: premium-network
    match: "service_category = 'Networking'"
    region_rates: {us-east-1: 0.05}
rules:
  - name: premium-network-evenly
    match: "pool = 'premium-network'"
    method: even
  - name: tagged
    method: tag
  - name: egress-by-customer-egress
    match: "charge_description ilike '%data transfer%'"
    method: usage
    metric: egress_gb
    across_services: true
"""

D = Decimal

#: Per customer and region: (total, network part, surcharge part), by hand.
EXPECTED_REGIONS = {
    # EC2 100 + its surcharge 10 + egress 30*30/40 = 22.50 + its surcharge 2.25
    ("acme", "eu-west-1"): (D("134.75"), D("22.50"), D("12.25")),
    # premium-network 0.60 / 3 (a network surcharge keeps the charge's category)
    ("acme", "us-east-1"): (D("0.20"), D("0.20"), D("0.20")),
    # 6.00 * 30 / 100
    ("acme", "ap-south-1"): (D("1.80"), D("1.80"), D("0")),
    # egress 30*10/40 = 7.50 + its surcharge 0.75
    ("globex", "eu-west-1"): (D("8.25"), D("7.50"), D("0.75")),
    # EC2 50 + egress 12*40/60 = 8.00 + premium 0.20
    ("globex", "us-east-1"): (D("58.20"), D("8.20"), D("0.20")),
    ("globex", "ap-south-1"): (D("3.00"), D("3.00"), D("0")),
    # egress 12*20/60 = 4.00 + premium 0.20
    ("initech", "us-east-1"): (D("4.20"), D("4.20"), D("0.20")),
    ("initech", "ap-south-1"): (D("1.20"), D("1.20"), D("0")),
}


def write_input(root: Path) -> Path:
    (root / "billing").mkdir(parents=True)
    with (root / "billing" / "charges.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(BILLING_HEADER)
        for service, category, region, cost, description, customer in CHARGES:
            tags = f'{{"customer_id": "{customer}"}}' if customer else ""
            writer.writerow(["acct-1", "USD", "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z", "Usage",
                             cost, cost, cost, service, category, region, f"r-{service[:3]}-{region}",
                             description, tags])
    (root / "usage").mkdir()
    with (root / "usage" / "egress.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["usage_date", "customer_id", "metric", "quantity", "service_name", "region_id"])
        for customer, region, quantity in EGRESS:
            writer.writerow(["2024-03-01", customer, "egress_gb", quantity, "api", region])
    (root / "customers.csv").write_text(
        "customer_id,customer_name,segment,region\nacme,Acme,enterprise,eu-west-1\n"
        "globex,Globex,mid-market,us-east-1\ninitech,Initech,smb,us-east-1\n"
    )
    (root / "allocation.yml").write_text(ALLOCATION)
    return root


@pytest.fixture(scope="module")
def regional_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("regional")
    warehouse = root / "warehouse.duckdb"
    build_ok(write_input(root / "input"), warehouse)
    return warehouse


def test_region_is_a_dimension_of_customer_cost(regional_build: Path) -> None:
    rows = query(
        regional_build,
        "select customer_id, region_id, total_cost, network_cost, surcharge_cost"
        " from marts.customer_region_costs_monthly",
    )
    assert {(c, r): (t, n, s) for c, r, t, n, s in rows} == EXPECTED_REGIONS
    # The regions of a customer-month add up to its total in customer_costs_monthly.
    totals = dict(query(regional_build, "select customer_id, total_cost from marts.customer_costs_monthly"))
    assert totals == {"acme": D("136.75"), "globex": D("69.45"), "initech": D("5.40")}
    surcharges = dict(query(regional_build, "select customer_id, surcharge_cost from marts.customer_costs_monthly"))
    assert surcharges == {"acme": D("12.45"), "globex": D("0.95"), "initech": D("0.20")}


def test_surcharges_are_new_money_in_pools_of_their_own(regional_build: Path) -> None:
    # The bill is 198.00; the surcharges add 13.60, and nothing is unattributed.
    placed = query(regional_build, "select sum(allocated_cost) from marts.customer_costs_daily")[0][0]
    assert placed == D("211.60")
    assert query(regional_build, "select count(*) from marts.unattributed_costs_daily")[0][0] == 0
    by_surcharge = query(
        regional_build,
        "select surcharge_name, cost_category, rule_name, sum(allocated_cost)"
        " from marts.customer_costs_daily where surcharge_name is not null group by all order by all",
    )
    assert by_surcharge == [
        ("eu-data-residency", "security", "egress-by-customer-egress", D("3.00")),
        ("eu-data-residency", "security", "tagged", D("10.00")),
        ("premium-network", "network", "premium-network-evenly", D("0.60")),
    ]


def test_egress_splits_by_egress_of_every_service_in_the_region(regional_build: Path) -> None:
    levels = query(
        regional_build,
        "select region_id, driver_level, driver_value from intermediate.int_cost_pools"
        " where rule_name = 'egress-by-customer-egress' and surcharge_name is null"
        " and driver_service = '*' order by region_id",
    )
    assert levels == [
        ("ap-south-1", "service", "*"),
        ("eu-west-1", "region", "eu-west-1"),
        ("us-east-1", "region", "us-east-1"),
    ]


def test_surcharge_settings_fail_with_one_line(tmp_path: Path) -> None:
    cases = {
        "surcharges:\n  - {name: s}\n": "give rate (a fraction of the charge, e.g. 0.08) and/or region_rates",
        "surcharges:\n  - {name: s, rate: 0.1, match: \"charge_date > date '2024-01-01'\"}\n":
            "charge_date is not available in a surcharge match",
        "surcharges:\n  - {name: s, rate: 0.1, category: marketing}\n": "category 'marketing' is not a cost category",
        "surcharges:\n  - {name: s, rate: -1}\n": "rate is -1",
        "surcharges:\n  - {name: s, rate: 0.1}\n  - {name: S, rate: 0.2}\n": "duplicate name",
        "surcharges:\n  - {name: s, region_rates: {\"eu-west-1'\": 0.1}}\n": "may not contain quotes",
    }
    for text, expected in cases.items():
        path = tmp_path / "allocation.yml"
        path.write_text(text + "rules:\n  - {name: tagged, method: tag}\n")
        with pytest.raises(UserError) as caught:
            load_rules(path)
        assert expected in str(caught.value), (text, str(caught.value))
        assert "\n" not in str(caught.value)
    path = tmp_path / "allocation.yml"
    path.write_text("rules:\n  - {name: egress, method: usage, across_services: true}\n")
    with pytest.raises(UserError, match="across_services needs a metric"):
        load_rules(path)


def test_rules_diff_names_surcharge_changes(tmp_path: Path) -> None:
    from cpc.rules import diff_rules

    old = tmp_path / "old.yml"
    new = tmp_path / "new.yml"
    old.write_text(ALLOCATION)
    new.write_text(ALLOCATION.replace("rate: 0.10", "rate: 0.12").replace(
        "  - name: premium-network\n    match: \"service_category = 'Networking'\"\n"
        "    region_rates: {us-east-1: 0.05}\n", ""))
    assert diff_rules(load_rules(old), load_rules(new)) == [
        "removed: surcharge 'premium-network'",
        "changed: surcharge 'eu-data-residency'",
    ]


def test_surcharge_categories_are_the_projects_cost_categories() -> None:
    """cpc.rules validates a surcharge's category before dbt runs; the list must be the macro's."""
    from conftest import PROJECT_DIR
    from cpc.rules import COST_CATEGORIES

    macro = (PROJECT_DIR / "macros" / "allocation" / "cost_category.sql").read_text()
    listed = macro.split("macro cost_categories()")[1].split("endmacro", 1)[0]
    assert "return(var('cpc_cost_categories'))" in listed
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    assert tuple(project["vars"]["cpc_cost_categories"]) == COST_CATEGORIES

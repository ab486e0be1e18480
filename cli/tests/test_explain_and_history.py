"""What finance relies on: every dollar explained, penny-exact statements, rule changes that move
exactly the days they cover, and rule files that name things the input does not have rejected."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml
from conftest import BuiltInput, build_ok, query, run_cpc
from cpc import compare
from cpc.rules import diff_rules, load_rules
from rich.console import Console


def _busiest_customer_month(warehouse: Path) -> tuple[str, str]:
    customer, month = query(
        warehouse,
        "select customer_id, strftime(month, '%Y-%m') from marts.customer_costs_monthly"
        " order by total_cost desc, customer_id limit 1",
    )[0]
    return customer, month


def test_explain_breaks_a_customer_month_down_and_adds_up(generated_build: BuiltInput) -> None:
    customer, month = _busiest_customer_month(generated_build.warehouse)
    done = run_cpc("explain", "--warehouse", str(generated_build.warehouse), "--customer", customer,
                   "--month", month, "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    total = query(generated_build.warehouse,
                  f"select total_cost from marts.customer_costs_monthly where customer_id = '{customer}'"
                  f" and strftime(month, '%Y-%m') = '{month}'")[0][0]
    assert Decimal(result["total_cost"]) == total
    assert sum(Decimal(row["allocated_cost"]) for row in result["breakdown"]) == total
    methods = {row["allocation_method"] for row in result["breakdown"]}
    assert {"usage", "proportional_to_cost"} <= methods
    for row in result["breakdown"]:
        if row["allocation_method"] == "usage":
            # The driver: the customer's quantity out of the pools' total.
            assert 0 < Decimal(row["customer_driver_quantity"]) <= Decimal(row["pools_driver_quantity"])
    charges = result["charges"]
    assert 0 < len(charges) <= 10
    assert all(re.fullmatch(r"(billing/.+|other_costs\.csv):\d+", charge["charge_id"]) for charge in charges)
    parts = [abs(Decimal(str(charge["customer_cost"]))) for charge in charges]
    assert parts == sorted(parts, reverse=True)
    # Every dollar of the month is traced to a charge or a ticket, exactly.
    traced = query(generated_build.warehouse,
                   "select sum(customer_cost) from marts.customer_charge_costs_monthly"
                   f" where customer_id = '{customer}' and strftime(month, '%Y-%m') = '{month}'")[0][0]
    assert traced == total

    table = run_cpc("explain", "--warehouse", str(generated_build.warehouse), "--customer", customer, "--month", month)
    assert table.returncode == 0 and "By rule, service and driver" in table.stdout and "Largest charges" in table.stdout
    csv_out = run_cpc("explain", "--warehouse", str(generated_build.warehouse), "--customer", customer,
                      "--month", month, "--format", "csv")
    assert csv_out.stdout.splitlines()[0].startswith("rule_name,rule_version,allocation_method")

    unknown = run_cpc("explain", "--warehouse", str(generated_build.warehouse), "--customer", "nobody", "--month", month)
    assert unknown.returncode == 2 and "customer 'nobody'" in unknown.stderr


def test_charge_costs_trace_every_customer_month(generated_build: BuiltInput) -> None:
    """customer_charge_costs_monthly (a view, not tested on every build for its size): one row per
    month x customer x charge, no key NULL, known kinds and customers, and every customer-month's
    charges add up exactly to its total_cost in customer_costs_monthly."""
    warehouse = generated_build.warehouse
    charges = "marts.customer_charge_costs_monthly"
    assert query(warehouse, f"select count(*) from (select month, customer_id, charge_id from {charges}"
                            " group by all having count(*) > 1)")[0][0] == 0
    assert query(warehouse, f"select count(*) from {charges} where month is null or customer_id is null"
                            " or charge_id is null or charge_kind is null or customer_cost is null"
                            " or is_estimated is null")[0][0] == 0
    kinds = {row[0] for row in query(warehouse, f"select distinct charge_kind from {charges}")}
    assert kinds <= {"charge", "kubernetes_part", "surcharge", "support_ticket"} and "charge" in kinds
    assert query(warehouse, f"select count(*) from {charges} where customer_id not in"
                            " (select customer_id from marts.customers)")[0][0] == 0
    differing = query(warehouse, f"""
        with traced as (
            select month, customer_id, currency, sum(customer_cost) as traced_cost
            from {charges} group by all
        )
        select count(*), count(customer_months.total_cost), count(traced.traced_cost)
        from marts.customer_costs_monthly as customer_months
        full outer join traced
            on customer_months.month = traced.month and customer_months.customer_id = traced.customer_id
            and customer_months.currency = traced.currency
        where customer_months.total_cost is distinct from traced.traced_cost""")[0]
    assert differing == (0, 0, 0)
    assert query(warehouse, "select count(*) from marts.customer_costs_monthly")[0][0] > 100


def test_statements_are_penny_exact(generated_build: BuiltInput) -> None:
    lines = query(generated_build.warehouse,
                  "select month, line_type, exact_cost, statement_cost, month_statement_total"
                  " from marts.customer_statements_monthly")
    by_month: dict[object, list[tuple]] = defaultdict(list)
    for line in lines:
        by_month[line[0]].append(line)
    assert len(by_month) >= 2
    for month_lines in by_month.values():
        exact = sum((line[2] for line in month_lines), Decimal(0))
        stated = sum((line[3] for line in month_lines), Decimal(0))
        assert stated == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) == month_lines[0][4]
        assert all(abs(line[3] - line[2]) < Decimal("0.01") for line in month_lines)
        assert sum(1 for line in month_lines if line[1] == "unattributed") == 1


def test_a_rule_change_moves_only_the_days_it_covers(generated_build: BuiltInput, tmp_path: Path) -> None:
    rules = yaml.safe_load((generated_build.input_dir / "allocation.yml").read_text())
    weighted = next(rule for rule in rules["rules"] if rule["method"] == "weighted")
    switch = str(weighted["effective_from"])
    weighted["weights"]["segment"] = {"enterprise": 10, "free": 0}
    changed = tmp_path / "allocation.yml"
    changed.write_text(yaml.safe_dump(rules, sort_keys=False))
    warehouse = tmp_path / "changed.duckdb"
    build_ok(generated_build.input_dir, warehouse, "--rules", str(changed), "--quiet")

    def by_day(path: Path) -> dict[tuple, Decimal]:
        return {(str(day), customer): cost for day, customer, cost in query(
            path, "select cost_date, customer_id, sum(allocated_cost) from marts.customer_costs_daily group by 1, 2")}

    before, after = by_day(generated_build.warehouse), by_day(warehouse)
    moved_days = {day for day, customer in set(before) | set(after)
                  if before.get((day, customer), Decimal(0)) != after.get((day, customer), Decimal(0))}
    assert moved_days, "changing the weights must move cost"
    assert min(moved_days) >= switch
    versions = dict(query(warehouse, "select rule_name, min(rule_version) from marts.customer_costs_daily group by 1"))
    old_versions = dict(query(generated_build.warehouse,
                              "select rule_name, min(rule_version) from marts.customer_costs_daily group by 1"))
    assert versions[weighted["name"]] != old_versions[weighted["name"]]
    assert all(versions[name] == old_versions[name] for name in versions if name != weighted["name"])

    # What `cpc rules diff` would say of this change (its own two builds: test_cost_impact).
    console = Console(record=True, width=200)
    with console.capture() as captured:
        compare.render(compare.RulesDiff(
            rule_changes=diff_rules(load_rules(generated_build.input_dir / "allocation.yml"), load_rules(changed)),
            moved=compare.compare_warehouses(generated_build.warehouse, warehouse, tests=False)), console)
    assert f"rule '{weighted['name']}'" in captured.get() and "What moves" in captured.get()


def test_rules_naming_what_the_input_lacks_fail_before_dbt(generated_build: BuiltInput, tmp_path: Path) -> None:
    for rule, expected in [
        ({"name": "cpu", "method": "usage", "metric": "cpu_hours"}, "cpu_hours"),
        ({"name": "vip", "method": "fixed", "shares": {"cust-99999": 1.0}}, "cust-99999"),
        ({"name": "seg", "method": "weighted", "weights": {"segment": {"platinum": 2}}}, "platinum"),
    ]:
        path = tmp_path / f"{rule['name']}.yml"
        path.write_text(yaml.safe_dump({"rules": [rule]}))
        done = run_cpc("build", "--input", str(generated_build.input_dir), "--warehouse",
                       str(tmp_path / "w.duckdb"), "--rules", str(path))
        assert done.returncode == 2
        last = done.stderr.strip().splitlines()
        assert len(last) == 1 and expected in last[0] and "dbt" not in last[0], done.stderr


def test_explain_can_build_an_input_folder_itself() -> None:
    from conftest import FIXTURES

    done = run_cpc("explain", "--input", str(FIXTURES / "bad_input"), "--customer", "acme",
                   "--month", "2024-03", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    # acme: its tagged 2.50, 3/5 of the untagged 6.00 split by cpu usage, and a 30.00 ticket.
    assert Decimal(result["total_cost"]) == Decimal("36.1")
    by_rule = {row["rule_name"]: Decimal(row["allocated_cost"]) for row in result["breakdown"]}
    assert by_rule == {
        "tagged": Decimal("2.5"), "usage-by-service": Decimal("3.6"), "support-tickets": Decimal(30)
    }
    assert {charge["charge_id"] for charge in result["charges"]} == {"billing/march.csv:1", "billing/march.csv:2"}
    # The customer's part of each: the tagged charge whole, 3/5 of the untagged one.
    parts = {charge["charge_id"]: Decimal(str(charge["customer_cost"])) for charge in result["charges"]}
    assert parts == {"billing/march.csv:1": Decimal("2.5"), "billing/march.csv:2": Decimal("3.6")}

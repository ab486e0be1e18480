"""`cpc watch`: the day's digest read from a warehouse's marts, and its exit code.

The warehouse is written by hand (the four marts the digest reads, with only the columns it
reads), so each case is visible here: a spike that pages on its first day and does not page again,
a drift that is a ticket, a budget alert that is a ticket on its first day only, an estimated
billing period, the restatements of the latest build that recorded any, an unattributed share over its goal, and telemetry drifting from the bill (a
ticket on its first day, ongoing after)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import BuiltInput, query, run_cpc

ANOMALIES = [
    # anomaly_id, customer_id, scope, cost_date, severity, observed, expected
    ("acme/2024-03-09", "acme", "total", "2024-03-09", "ticket", 20, 10),
    ("acme/2024-03-09", "acme", "total", "2024-03-10", "page", 60, 10),
    ("acme/2024-03-09", "acme", "compute", "2024-03-10", "page", 50, 5),
    ("acme/2024-03-09", "acme", "total", "2024-03-11", "page", 90, 10),
    ("globex/2024-03-11", "globex", "total", "2024-03-11", "ticket", 30, 20),
]
BUDGETS = [
    # customer_id, cost_date, is_alert, alert_reason, month_to_date, budget, burn_rate, forecast
    ("acme", "2024-03-10", True, "burn_rate_and_forecast", 300, 310, 3.1, 900),
    ("acme", "2024-03-11", True, "burn_rate_and_forecast", 390, 310, 3.6, 1200),
    ("globex", "2024-03-10", False, None, 10, 310, 0.1, 40),
    ("globex", "2024-03-11", True, "forecast_over_budget", 20, 310, 0.2, 400),
    ("initech", "2024-03-11", False, None, 5, None, None, 20),
]

RECONCILIATION = [
    # cost_date, rule, service, metric, level, value, unit, telemetry, billed, ratio, is_drift, cost
    ("2024-03-10", "functions", "AWS Lambda", "lambda_gb_seconds", "region", "us-east-1", "GB-Seconds", 1200, 1000, 1.2, True, 2),
    ("2024-03-10", "cdn", "*", "egress_gb", "service", "*", "GB", 104.5, 110, 0.95, False, 10.2),
    ("2024-03-11", "functions", "AWS Lambda", "lambda_gb_seconds", "region", "us-east-1", "GB-Seconds", 1300, 1000, 1.3, True, 2),
    ("2024-03-11", "cdn", "*", "egress_gb", "service", "*", "GB", 20, 0, None, True, 0.5),
    ("2024-03-11", "compute", "EC2", "cpu_core_hours", "service", "*", None, 40, None, None, False, 3.84),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("watch") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.customer_costs_daily (cost_date date, customer_id varchar, allocated_cost decimal(38, 10))")
        con.execute("insert into marts.customer_costs_daily values ('2024-03-01', 'acme', 1), ('2024-03-11', 'acme', 1)")
        con.execute("""create table marts.customer_cost_anomalies (anomaly_id varchar, customer_id varchar,
            scope varchar, cost_date date, severity varchar, observed_cost decimal(38, 10), expected_cost decimal(38, 10))""")
        con.executemany("insert into marts.customer_cost_anomalies values (?, ?, ?, ?, ?, ?, ?)", ANOMALIES)
        con.execute("""create table marts.customer_budget_burn (customer_id varchar, cost_date date, cost_month date,
            currency varchar, is_alert boolean, alert_reason varchar, month_to_date_cost decimal(38, 10),
            budget_amount decimal(38, 10), burn_rate decimal(20, 6), forecast_month_end_cost decimal(38, 10))""")
        con.executemany("insert into marts.customer_budget_burn values (?, ?, '2024-03-01', 'USD', ?, ?, ?, ?, ?, ?)", BUDGETS)
        con.execute("""create table marts.billing_periods (billing_format varchar, billing_account_id varchar,
            billing_period_start_date date, period_status varchar)""")
        con.execute("""insert into marts.billing_periods values ('focus', '111', '2024-02-01', 'final'),
            ('focus', '111', '2024-03-01', 'estimated'), ('focus', '222', '2024-04-01', 'estimated')""")
        # acme's March moved in the latest build that restated anything; globex's February in an
        # earlier one (not listed).
        con.execute("""create table marts.customer_cost_restatements (customer_id varchar, month date,
            currency varchar, reason varchar, cost_before decimal(38, 10), cost_after decimal(38, 10),
            cost_delta decimal(38, 10), recorded_at timestamp)""")
        con.execute("""insert into marts.customer_cost_restatements values
            ('acme', '2024-03-01', 'USD', 'estimate_updated', 100, 107.25, 7.25, '2024-03-11 06:00:00'),
            ('globex', '2024-02-01', 'USD', 'restated', 50, 40, -10, '2024-03-02 06:00:00')""")
        con.execute("""create table marts.unattributed_costs_monthly (month date, reason varchar,
            unattributed_cost decimal(38, 10), month_unattributed_share double)""")
        con.execute("""insert into marts.unattributed_costs_monthly values
            ('2024-03-01', 'untagged', 80, 0.12), ('2024-03-01', 'idle', 20, 0.12), ('2024-02-01', 'idle', 1, 0.01)""")
        con.execute("""create table marts.telemetry_bill_reconciliation (cost_date date, rule_name varchar,
            service_name varchar, metric varchar, driver_level varchar, driver_value varchar, billed_unit varchar,
            telemetry_quantity double, billed_quantity double, telemetry_to_billed_ratio double, is_drift boolean,
            effective_cost decimal(38, 10), drift_tolerance double default 0.1)""")
        con.executemany("""insert into marts.telemetry_bill_reconciliation (cost_date, rule_name, service_name, metric,
            driver_level, driver_value, billed_unit, telemetry_quantity, billed_quantity, telemetry_to_billed_ratio,
            is_drift, effective_cost) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", RECONCILIATION)
    return path


def watch(warehouse: Path, *args: str) -> tuple[int, dict]:
    done = run_cpc("watch", "--warehouse", str(warehouse), "--format", "json", *args)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def levels(digest: dict) -> list[tuple[str, str, str]]:
    return [(item["level"], item["kind"], item["subject"]) for item in digest["items"]]


def test_an_episode_pages_once_and_budgets_alert_on_their_first_day(warehouse: Path) -> None:
    # 10 March: acme's episode (a ticket on the 9th) reaches page severity: it pages; acme's
    # budget alerts for the first time this month: a ticket; the 5 % goal is exceeded (12 %).
    code, digest = watch(warehouse, "--date", "2024-03-10")
    assert code == 1 and digest["needs_page"]
    # Lambda's telemetry in us-east-1 is 20 % above the bill (tolerance 10 %): a ticket, not a page.
    assert levels(digest) == [
        ("page", "anomaly", "acme"),
        ("ticket", "budget", "acme"),
        ("ticket", "reconciliation", "AWS Lambda lambda_gb_seconds (region us-east-1)"),
        ("ticket", "unattributed", "2024-03"),
        ("info", "estimated", "focus 111"),
        ("info", "restatement", "acme"),
    ]
    assert digest["items"][-1]["detail"] == (
        "2024-03 estimate_updated: 100.00 -> 107.25 (7.25), recorded 2024-03-11 06:00")
    anomaly = digest["items"][0]["detail"]
    assert "since 2024-03-09 (compute, total)" in anomaly and "60.00 against 10.00" in anomaly
    assert digest["items"][2]["detail"] == (
        "telemetry 1,200 against 1,000 GB-Seconds billed, ratio 1.20 (tolerance 10%); rule functions, cost 2.00"
    )
    assert "12.0% of the bill unattributed (goal 5.0%; top reason untagged)" in digest["items"][3]["detail"]


def test_the_next_day_only_what_is_new_alerts(warehouse: Path) -> None:
    # 11 March (the ledger's last day, the default): acme still pages but paged before: ongoing;
    # globex's new episode is a ticket; acme's budget alerted yesterday (ongoing); globex's is new.
    code, digest = watch(warehouse)
    assert digest["date"] == "2024-03-11"
    assert code == 0 and not digest["needs_page"]
    # Lambda still drifts (ongoing); egress telemetry against nothing billed is a new drift.
    assert levels(digest) == [
        ("ticket", "anomaly", "globex"),
        ("ticket", "budget", "globex"),
        ("ticket", "reconciliation", "every service egress_gb"),
        ("ticket", "unattributed", "2024-03"),
        ("ongoing", "anomaly", "acme"),
        ("ongoing", "budget", "acme"),
        ("ongoing", "reconciliation", "AWS Lambda lambda_gb_seconds (region us-east-1)"),
        ("info", "estimated", "focus 111"),
        ("info", "restatement", "acme"),
    ]
    assert digest["counts"] == {"page": 0, "ticket": 4, "ongoing": 3, "info": 2}
    assert digest["items"][2]["detail"].startswith("telemetry 20 against nothing billed in GB (tolerance 10%)")


def test_a_quiet_day_under_the_goal_is_information_only(warehouse: Path) -> None:
    code, digest = watch(warehouse, "--date", "2024-02-15")
    assert code == 0
    assert levels(digest) == [("info", "unattributed", "2024-02")]


def test_text_and_markdown_name_every_item_and_bad_options_are_one_line(warehouse: Path) -> None:
    text = run_cpc("watch", "--warehouse", str(warehouse), "--date", "2024-03-10")
    assert text.returncode == 1
    lines = text.stdout.strip().splitlines()
    assert lines[0].endswith("1 page, 3 ticket, 0 ongoing, 2 info") and len(lines) == 7
    assert lines[1].startswith("page") and "acme" in lines[1]
    markdown = run_cpc("watch", "--warehouse", str(warehouse), "--date", "2024-03-10", "--format", "markdown")
    assert "| page | anomaly | acme |" in markdown.stdout
    assert "| ticket | reconciliation | AWS Lambda lambda_gb_seconds (region us-east-1) |" in markdown.stdout
    for args, message in ((("--date", "March"), "--date: 'March' is not a date"),
                          (("--format", "xml"), "--format: 'xml' is not one of text, json, markdown")):
        bad = run_cpc("watch", "--warehouse", str(warehouse), *args)
        assert bad.returncode == 2 and message in bad.stderr and "Traceback" not in bad.stderr


def test_the_generated_telemetry_reconciles_with_the_bill(generated_build: BuiltInput) -> None:
    # The generator bills each shared service's true consumption and measures each customer's with
    # a little noise (lognormal, sigma 0.05): egress and function time, named in its allocation.yml
    # `reconciliation: units`, agree with the bill within the 10 % tolerance every day, per region
    # and over the service; the other metrics name no billed unit. It injects no drift.
    warehouse = generated_build.warehouse
    statuses = dict(query(warehouse, """
        select metric || ' ' || driver_level || ' ' || reconciliation_status, count(*)
        from marts.telemetry_bill_reconciliation group by 1"""))
    for metric in ("egress_gb", "lambda_gb_seconds"):
        assert statuses.pop(f"{metric} service within_tolerance") == 40
        assert statuses.pop(f"{metric} region within_tolerance") > 40
    assert {key.rsplit(" ", 1)[1] for key in statuses} == {"no_unit_mapping"}
    [(drifts, low, high)] = query(warehouse, """
        select count(*) filter (where is_drift), min(telemetry_to_billed_ratio), max(telemetry_to_billed_ratio)
        from marts.telemetry_bill_reconciliation where driver_level = 'service'""")
    assert drifts == 0 and 0.95 < low <= high < 1.05
    # The instrumentation gap: about 1 % of the telemetry rows lost their customer; their cost is
    # exactly the ledger's unknown_customer cost of the usage rules' pools.
    [(gap, ledger, metrics)] = query(warehouse, """
        select (select sum(unknown_customer_cost) from marts.unknown_customer_usage_costs_daily),
               (select sum(unattributed.unattributed_cost) from marts.unattributed_costs_daily as unattributed
                inner join intermediate.int_cost_pools as pools on unattributed.pool_id = pools.pool_id
                where unattributed.reason = 'unknown_customer' and pools.allocation_method = 'usage'),
               (select count(distinct metric) from marts.unknown_customer_usage_costs_daily)""")
    assert gap == ledger and gap > 0 and metrics == 6
    _, digest = watch(warehouse)
    assert "reconciliation" not in {item["kind"] for item in digest["items"]}


def test_held_back_telemetry_is_a_ticket_naming_the_day_to_reprocess_from(warehouse: Path, tmp_path: Path) -> None:
    # The hand-written warehouse has no record of held-back days (as one built before incremental
    # builds): nothing is listed. With two held-back days, one ticket names the first.
    assert "held back" not in [item["kind"] for item in watch(warehouse, "--date", "2024-03-10")[1]["items"]]
    held = tmp_path / "held.duckdb"
    held.write_bytes(warehouse.read_bytes())
    with duckdb.connect(str(held)) as con:
        con.execute("create schema intermediate")
        con.execute("create table intermediate.int_days_held_back (cost_date date, reprocess_reason varchar)")
        con.execute("insert into intermediate.int_days_held_back values ('2024-03-02', 'usage changed'),"
                    " ('2024-03-04', 'usage changed')")
    code, digest = watch(held, "--date", "2024-02-15")
    assert code == 0
    [item] = [item for item in digest["items"] if item["kind"] == "held back"]
    assert (item["level"], item["subject"]) == ("ticket", "2024-03-02")
    assert "2 day(s) (2024-03-02 to 2024-03-04)" in item["detail"]
    assert item["detail"].endswith("--reprocess-from 2024-03-02")
    with duckdb.connect(str(held)) as con:
        con.execute("delete from intermediate.int_days_held_back")
    assert "held back" not in [item["kind"] for item in watch(held, "--date", "2024-02-15")[1]["items"]]

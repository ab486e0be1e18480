"""Tests for the demo data generator (cpc.generate): the raw input contract and its truth."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from cpc.errors import UserError
from cpc.generate import BILLING_COLUMNS, GenerateSummary, generate
from cpc.generate.currencies import fx_rates
from cpc.generate.kubernetes import build_cluster
from cpc.generate.other_costs import other_cost_schedule, other_costs, other_costs_truth
from cpc.generate.periods import add_months, calendar_months
from cpc.generate.revenue import revenue
from cpc.generate.world import build_world

START = date(2024, 1, 20)  # mid-month start and (with 45 days) a mid-month end
DAYS = 45
CUSTOMERS = 60
MONTHS = ("2024-01", "2024-02", "2024-03")

#: FOCUS columns the project relies on.
REQUIRED_FOCUS = (
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SubAccountId",
    "SubAccountName",
    "CommitmentDiscountId",
    "CommitmentDiscountCategory",
    "CommitmentDiscountType",
    "CommitmentDiscountStatus",
    "Tags",
)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _customer_in_tags(tags: str | None) -> str | None:
    """The customer a Tags JSON names, accepting the key spellings the generator uses."""
    if not tags:
        return None
    for key, value in json.loads(tags).items():
        if key.strip().lower().removeprefix("user:") == "customer_id":
            return value
    return None


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    out = tmp_path_factory.mktemp("demo")
    summary = generate(out, customers=CUSTOMERS, days=DAYS, seed=11, start=START, file_format="csv")
    return out, summary


@pytest.fixture(scope="module")
def con(dataset: tuple[Path, GenerateSummary]) -> duckdb.DuckDBPyConnection:
    out, _ = dataset
    db = duckdb.connect()
    db.execute(f"""CREATE TABLE billing AS SELECT * FROM
        read_csv('{out}/billing/*.csv', all_varchar = true, header = true)""")
    db.execute(f"""CREATE TABLE usage AS SELECT * FROM
        read_csv('{out}/usage/*.csv', all_varchar = true, header = true)""")
    db.execute(f"""CREATE TABLE k8s_usage AS SELECT * FROM
        read_csv('{out}/k8s_usage/*.csv', all_varchar = true, header = true)""")
    for name in (
        "customers",
        "revenue",
        "budgets",
        "ground_truth",
        "support_tickets",
        "support_rates",
        "other_costs",
        "fx_rates",
        "k8s_namespaces",
    ):
        db.execute(f"""CREATE VIEW {name} AS SELECT * FROM
            read_csv('{out}/{name}.csv', all_varchar = true, header = true)""")
    # Charges tagged with a customer id that customers.csv does not know.
    known = {r[0] for r in db.execute("SELECT customer_id FROM customers").fetchall()}
    tags = [r[0] for r in db.execute("SELECT DISTINCT Tags FROM billing").fetchall()]
    unknown = [t for t in tags if _customer_in_tags(t) not in (None, *known)]
    db.execute("CREATE TABLE unknown_tags (tags VARCHAR)")
    # Each ticket's cost from the files: minutes / 60 x the rate of its tier on its UTC date.
    db.execute("""CREATE TABLE ticket_costs AS
        SELECT t.ticket_id, t.agent_tier, t.customer_id IN (SELECT customer_id FROM customers)
                   AS known,
               count(r.agent_tier) AS matches,
               any_value(CAST(t.handle_minutes AS DOUBLE) / 60 * CAST(r.hourly_rate AS DOUBLE))
                   AS cost
        FROM support_tickets t LEFT JOIN support_rates r ON r.agent_tier = t.agent_tier
            AND CAST(r.effective_from AS DATE)
                <= CAST(strptime(t.opened_at, '%Y-%m-%dT%H:%M:%SZ') AS DATE)
            AND (r.effective_to IS NULL OR CAST(strptime(t.opened_at, '%Y-%m-%dT%H:%M:%SZ')
                AS DATE) < CAST(r.effective_to AS DATE))
        GROUP BY ALL""")
    db.executemany("INSERT INTO unknown_tags VALUES (?)", [[t] for t in unknown])
    # Each billing row in USD, converted here as the docs say: split over its UTC days (the
    # generator's multi-day rows cover whole days, so evenly), each day at the rate in effect
    # that day (the last one published on or before it); USD at 1.
    db.execute("""CREATE TABLE billing_usd AS
        WITH numbered AS (
            SELECT *, row_number() OVER () AS rid,
                   strptime(ChargePeriodStart, '%Y-%m-%dT%H:%M:%SZ') AS period_start,
                   strptime(ChargePeriodEnd, '%Y-%m-%dT%H:%M:%SZ') AS period_end
            FROM billing),
        days AS (
            SELECT rid, BillingCurrency AS currency, CAST(EffectiveCost AS DOUBLE) AS cost,
                   CAST(unnest(generate_series(CAST(period_start AS DATE),
                       CAST(period_end - INTERVAL 1 SECOND AS DATE), INTERVAL 1 DAY)) AS DATE)
                       AS day
            FROM numbered),
        parts AS (SELECT *, cost / count(*) OVER (PARTITION BY rid) AS part FROM days),
        rates AS (SELECT CAST(date AS DATE) AS date, currency, CAST(rate AS DOUBLE) AS rate
                  FROM fx_rates),
        converted AS (
            SELECT parts.rid,
                   sum(parts.part * CASE WHEN parts.currency = 'USD' THEN 1 ELSE rates.rate END)
                       AS usd
            FROM parts ASOF LEFT JOIN rates
                ON parts.currency = rates.currency AND parts.day >= rates.date
            GROUP BY parts.rid)
        SELECT numbered.*, converted.usd FROM numbered JOIN converted USING (rid)""")
    # The Kubernetes split of each node-day as docs/kubernetes.md writes it, at the prices of the
    # demo allocation.yml: what the mapped namespaces are charged, the rest (idle, monitoring).
    k8s = yaml.safe_load((out / "allocation.yml").read_text())["kubernetes"]
    db.execute(f"""CREATE TABLE k8s_pods AS
        WITH pods AS (
            SELECT k.interval_start, regexp_extract(k.node_id, '[^/]+$') AS node, k.namespace,
                   m.customer_id,
                   greatest(CAST(k.cpu_request_cores AS DOUBLE),
                            CAST(k.cpu_usage_cores AS DOUBLE)) AS cpu,
                   greatest(CAST(k.memory_request_bytes AS DOUBLE),
                            CAST(k.memory_usage_bytes AS DOUBLE)) / 2 ^ 30 AS gib,
                   CAST(k.node_cpu_cores AS DOUBLE) AS cores,
                   CAST(k.node_memory_bytes AS DOUBLE) / 2 ^ 30 AS memory
            FROM k8s_usage k LEFT JOIN k8s_namespaces m
                ON m.cluster_id = k.cluster_id AND m.namespace = k.namespace),
        nodes AS (
            SELECT interval_start, node, greatest(max(cores), sum(cpu)) AS cpu_basis,
                   greatest(max(memory), sum(gib)) AS gib_basis
            FROM pods GROUP BY ALL),
        ratios AS (
            SELECT *, cpu_basis * {k8s["cpu_hourly_price"]} / (cpu_basis
                * {k8s["cpu_hourly_price"]} + gib_basis * {k8s["ram_gib_hourly_price"]}) AS ratio
            FROM nodes)
        SELECT pods.*, b.usd AS node_cost,
               b.usd * (r.ratio * pods.cpu / r.cpu_basis
                        + (1 - r.ratio) * pods.gib / r.gib_basis) AS cost
        FROM pods JOIN ratios r USING (interval_start, node)
        JOIN billing_usd b ON b.ResourceId = pods.node AND b.ChargePeriodStart = pods.interval_start""")
    return db


def _one(db: duckdb.DuckDBPyConnection, sql: str) -> object:
    return db.execute(sql).fetchall()[0][0]


def test_writes_the_input_contract(
    dataset: tuple[Path, GenerateSummary], con: duckdb.DuckDBPyConnection
) -> None:
    out, summary = dataset
    for month in MONTHS:
        assert (out / "billing" / f"focus-{month}.csv").is_file()
        assert (out / "usage" / f"usage-{month}.csv").is_file()
        assert (out / "k8s_usage" / f"k8s-usage-{month}.csv").is_file()
    for name in (
        "customers.csv",
        "revenue.csv",
        "budgets.csv",
        "allocation.yml",
        "ground_truth.csv",
        "support_tickets.csv",
        "support_rates.csv",
        "other_costs.csv",
        "fx_rates.csv",
        "k8s_namespaces.csv",
        "ground_truth_anomalies.csv",
        "ground_truth_unit_costs.csv",
    ):
        assert (out / name).is_file()
    assert summary.files_written == len(summary.files) == 3 * len(MONTHS) + 12
    assert summary.support_tickets == _one(con, "SELECT count(*) FROM support_tickets") > 0
    assert summary.other_costs == _one(con, "SELECT count(*) FROM other_costs") > 0
    assert summary.kubernetes_rows == _one(con, "SELECT count(*) FROM k8s_usage") > 0
    assert summary.fx_rates == _one(con, "SELECT count(*) FROM fx_rates") > 0
    assert summary.customers == CUSTOMERS and summary.days == DAYS
    assert summary.billing_rows == _one(con, "SELECT count(*) FROM billing")
    assert summary.usage_rows == _one(con, "SELECT count(*) FROM usage")
    total = _one(con, "SELECT sum(CAST(EffectiveCost AS DECIMAL(38, 10))) FROM billing")
    assert float(total) == pytest.approx(summary.total_effective_cost, rel=1e-9)

    header = (out / "usage" / "usage-2024-01.csv").read_text().splitlines()[0]
    assert header.split(",")[:6] == [
        "usage_date",
        "customer_id",
        "metric",
        "quantity",
        "service_name",
        "region_id",
    ]
    assert (out / "customers.csv").read_text().splitlines()[0] == (
        "customer_id,customer_name,segment,region,active_from,active_to"
    )
    assert (out / "revenue.csv").read_text().splitlines()[0] == "customer_id,month,revenue,currency"
    assert (out / "budgets.csv").read_text().splitlines()[0] == "customer_id,segment,month,amount,currency"
    assert (out / "ground_truth.csv").read_text().splitlines()[0] == "customer_id,month,true_cost"
    assert (out / "support_tickets.csv").read_text().splitlines()[0] == (
        "ticket_id,customer_id,opened_at,handle_minutes,agent_tier"
    )
    assert (out / "support_rates.csv").read_text().splitlines()[0] == (
        "agent_tier,hourly_rate,currency,effective_from,effective_to"
    )
    assert (out / "other_costs.csv").read_text().splitlines()[0] == (
        "cost_id,description,category,amount,currency,incurred_date,amortization_months,"
        "customer_id,pool"
    )
    assert (out / "fx_rates.csv").read_text().splitlines()[0] == "date,currency,rate"
    assert (out / "k8s_namespaces.csv").read_text().splitlines()[0] == (
        "cluster_id,namespace,customer_id"
    )
    assert (out / "k8s_usage" / "k8s-usage-2024-02.csv").read_text().splitlines()[0] == (
        "interval_start,interval_end,cluster_id,node_id,namespace,pod,cpu_request_cores,"
        "cpu_usage_cores,memory_request_bytes,memory_usage_bytes,node_cpu_cores,node_memory_bytes"
    )


def test_billing_has_parseable_focus_columns(
    dataset: tuple[Path, GenerateSummary], con: duckdb.DuckDBPyConnection
) -> None:
    out, _ = dataset
    header = (out / "billing" / "focus-2024-02.csv").read_text().splitlines()[0].split(",")
    assert header == list(BILLING_COLUMNS)
    assert set(REQUIRED_FOCUS) <= set(header)

    bad = _one(
        con,
        """
        SELECT count(*) FROM billing WHERE
            try_cast(BilledCost AS DECIMAL(38, 10)) IS NULL
            OR try_cast(EffectiveCost AS DECIMAL(38, 10)) IS NULL
            OR try_cast(ListCost AS DECIMAL(38, 10)) IS NULL
            OR try_cast(ContractedCost AS DECIMAL(38, 10)) IS NULL
            OR (ConsumedQuantity IS NOT NULL AND try_cast(ConsumedQuantity AS DOUBLE) IS NULL)
            OR try_strptime(ChargePeriodStart, '%Y-%m-%dT%H:%M:%SZ') IS NULL
            OR try_strptime(ChargePeriodEnd, '%Y-%m-%dT%H:%M:%SZ') IS NULL
            OR try_strptime(BillingPeriodStart, '%Y-%m-%dT%H:%M:%SZ') IS NULL
            OR strptime(ChargePeriodEnd, '%Y-%m-%dT%H:%M:%SZ')
               <= strptime(ChargePeriodStart, '%Y-%m-%dT%H:%M:%SZ')
            OR BillingCurrency <> CASE BillingAccountId WHEN '098765432109' THEN 'EUR'
                                                        ELSE 'USD' END
            OR ProviderName <> 'AWS'
            OR ChargeClass IS NOT NULL
            OR (Tags IS NOT NULL AND NOT json_valid(Tags))
    """,
    )
    assert bad == 0
    # Billing periods are calendar months and contain their charges.
    assert (
        _one(
            con,
            """
        SELECT count(*) FROM billing WHERE ChargePeriodStart < BillingPeriodStart
            OR ChargePeriodEnd > BillingPeriodEnd
            OR strftime(strptime(BillingPeriodStart, '%Y-%m-%dT%H:%M:%SZ'), '%d') <> '01'
    """,
        )
        == 0
    )

    values = dict(
        con.execute("""
        SELECT 'category', list(DISTINCT ChargeCategory ORDER BY ChargeCategory) FROM billing
        UNION ALL SELECT 'frequency', list(DISTINCT ChargeFrequency ORDER BY ChargeFrequency)
            FROM billing
        UNION ALL SELECT 'status', list(DISTINCT CommitmentDiscountStatus
            ORDER BY CommitmentDiscountStatus) FROM billing
        UNION ALL SELECT 'accounts', list(DISTINCT BillingAccountId ORDER BY BillingAccountId)
            FROM billing
    """).fetchall()
    )
    assert values["category"] == ["Credit", "Purchase", "Tax", "Usage"]
    assert set(values["frequency"]) == {"One-Time", "Recurring", "Usage-Based", "Usage-based"}
    assert set(values["status"]) == {"Used", "Unused", None}
    # Numeric-looking ids with a leading zero: they must be read as text.
    assert values["accounts"] == ["012345678901", "098765432109"]


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    runs = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate(tmp_path / name, customers=25, days=12, seed=seed, file_format="csv.gz")
        runs.append(_digest(tmp_path / name))
    assert runs[0] == runs[1]
    assert runs[0].keys() == runs[2].keys()
    assert runs[0]["billing/focus-2024-01.csv.gz"] != runs[2]["billing/focus-2024-01.csv.gz"]
    assert runs[0]["ground_truth.csv"] != runs[2]["ground_truth.csv"]
    # allocation.yml names the seed's largest EU customers in its fixed rule, so it may differ.


def test_every_customer_id_is_known(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("usage", "revenue", "ground_truth"):
        assert (
            _one(
                con,
                f"""
            SELECT count(*) FROM {table} t ANTI JOIN customers c USING (customer_id)
            WHERE t.customer_id IS NOT NULL""",
            )
            == 0
        ), table
    assert _one(con, "SELECT count(*) FROM revenue WHERE customer_id IS NULL") == 0
    assert _one(con, "SELECT count(*) FROM ground_truth WHERE customer_id IS NULL") == 0
    # About 1 % of the telemetry lost its customer id.
    lost = _one(con, "SELECT avg(CASE WHEN customer_id IS NULL THEN 1 ELSE 0 END) FROM usage")
    assert 0.002 < lost < 0.03


def test_customers_segments_and_activity(con: duckdb.DuckDBPyConnection) -> None:
    segments = dict(con.execute("SELECT segment, count(*) FROM customers GROUP BY 1").fetchall())
    assert segments == {"free": 30, "smb": 18, "mid-market": 9, "enterprise": 3}
    assert _one(con, "SELECT count(DISTINCT customer_id) FROM customers") == CUSTOMERS
    assert _one(con, "SELECT min(customer_id) FROM customers") == "cust-00001"
    assert (
        _one(
            con,
            """SELECT count(*) FROM customers WHERE region NOT IN
        ('us-east-1', 'eu-west-1', 'ap-southeast-2')""",
        )
        == 0
    )
    # No telemetry outside a customer's active window [active_from, active_to).
    assert (
        _one(
            con,
            """
        SELECT count(*) FROM usage u JOIN customers c USING (customer_id)
        WHERE CAST(u.usage_date AS DATE) < CAST(c.active_from AS DATE)
           OR CAST(u.usage_date AS DATE) >= coalesce(CAST(c.active_to AS DATE), DATE '9999-12-31')
    """,
        )
        == 0
    )
    # Telemetry dates lie in the window, metrics carry their billing service name.
    assert _one(con, "SELECT min(usage_date) FROM usage") == START.isoformat()
    assert _one(con, "SELECT max(usage_date) FROM usage") == "2024-03-04"
    pairs = set(con.execute("SELECT DISTINCT metric, service_name FROM usage").fetchall())
    assert pairs == {
        ("cpu_core_hours", "Amazon Elastic Compute Cloud"),
        ("db_cpu_seconds", "Amazon Relational Database Service"),
        ("storage_gb", "Amazon Simple Storage Service"),
        ("egress_gb", "Amazon CloudFront"),
        ("lambda_gb_seconds", "AWS Lambda"),
        ("log_gb", "Amazon CloudWatch"),
    }
    # Free customers use no database.
    assert (
        _one(
            con,
            """SELECT count(*) FROM usage JOIN customers USING (customer_id)
        WHERE segment = 'free' AND metric = 'db_cpu_seconds'""",
        )
        == 0
    )


def test_revenue(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("""
        SELECT c.segment, min(CAST(r.revenue AS DECIMAL(18, 2))),
               max(CAST(r.revenue AS DECIMAL(18, 2))), list(DISTINCT r.currency),
               list(DISTINCT r.month ORDER BY r.month)
        FROM revenue r JOIN customers c USING (customer_id) GROUP BY 1
    """).fetchall()
    by_segment = {row[0]: row[1:] for row in rows}
    assert by_segment["free"][1] == 0
    for segment in ("smb", "mid-market", "enterprise"):
        assert by_segment[segment][0] > 0
    assert all(row[3] == ["USD"] for row in rows)
    assert by_segment["smb"][3] == list(MONTHS)


def test_budgets_cover_enterprise_anomalies_and_smb(
    dataset: tuple[Path, GenerateSummary], con: duckdb.DuckDBPyConnection
) -> None:
    """Each enterprise customer and each customer with an injected anomaly has its own budget in
    every month it has true cost (1.25 x its median month, whole dollars); smb has one per month."""
    out, _ = dataset
    with (out / "ground_truth_anomalies.csv").open(newline="") as handle:
        anomalous = {row["customer_id"] for row in csv.DictReader(handle)}
    truth: dict[str, dict[str, float]] = {}
    for customer_id, month, cost in con.execute("SELECT customer_id, month, true_cost FROM ground_truth").fetchall():
        if float(cost) > 0:
            truth.setdefault(customer_id, {})[month] = float(cost)
    enterprise = {r[0] for r in con.execute("SELECT customer_id FROM customers WHERE segment = 'enterprise'").fetchall()}
    own = {}
    for customer_id, segment, month, amount, currency in con.execute("SELECT * FROM budgets").fetchall():
        assert currency == "USD"
        if segment is None:
            own[(customer_id, month)] = Decimal(amount)
        else:
            assert (customer_id, segment) == (None, "smb")
    budgeted = (enterprise | anomalous) & set(truth)
    assert anomalous and budgeted
    assert set(own) == {(c, m) for c in budgeted for m in truth[c]}
    for (customer_id, _month), amount in own.items():
        assert amount == math.ceil(1.25 * statistics.median(truth[customer_id].values()))
    smb_months = [r[0] for r in con.execute("SELECT month FROM budgets WHERE segment = 'smb' ORDER BY 1").fetchall()]
    assert smb_months == list(MONTHS)


def test_commitment_amortization_balances_each_month(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("""
        SELECT BillingPeriodStart,
            sum(CAST(EffectiveCost AS DECIMAL(38, 10))) FILTER (
                WHERE CommitmentDiscountStatus IN ('Used', 'Unused')) AS amortized,
            sum(CAST(BilledCost AS DECIMAL(38, 10))) FILTER (
                WHERE ChargeCategory = 'Purchase') AS fee,
            sum(CAST(EffectiveCost AS DECIMAL(38, 10))) FILTER (
                WHERE ChargeCategory = 'Purchase') AS fee_effective,
            sum(CAST(BilledCost AS DECIMAL(38, 10))) FILTER (
                WHERE CommitmentDiscountStatus IS NOT NULL) AS billed_covered,
            count(*) FILTER (WHERE ChargeCategory = 'Purchase') AS purchases
        FROM billing GROUP BY 1 ORDER BY 1
    """).fetchall()
    assert len(rows) == len(MONTHS)
    for _period, amortized, fee, fee_effective, billed_covered, purchases in rows:
        assert purchases == 1
        assert fee > 0 and fee_effective == 0 and billed_covered == 0
        assert float(amortized) == pytest.approx(float(fee), abs=1e-6)
    # Used rows are shared us-east-1 EC2 hours at the committed rate; Unused rows are the plan.
    assert (
        _one(
            con,
            """SELECT count(*) FROM billing WHERE CommitmentDiscountStatus = 'Used'
        AND NOT (ServiceName = 'Amazon Elastic Compute Cloud' AND RegionId = 'us-east-1'
                 AND PricingCategory = 'Committed' AND ChargePeriodEnd > ChargePeriodStart)""",
        )
        == 0
    )
    assert (
        _one(
            con,
            """SELECT count(*) FROM billing WHERE CommitmentDiscountStatus = 'Unused'
        AND ResourceId <> CommitmentDiscountId""",
        )
        == 0
    )


def test_ground_truth_reconciles_with_the_bill(con: duckdb.DuckDBPyConnection) -> None:
    """The truth (USD) is the bill converted to USD at the rates of fx_rates.csv, less what
    nobody drove (unused commitment, CloudTrail, deleted customers' resources, the Kubernetes
    nodes' idle capacity and unmapped namespace), plus support, other costs and the demo's
    data-residency surcharge."""
    total, not_attributable = con.execute("""
        SELECT sum(usd),
               sum(usd) FILTER (
                   WHERE CommitmentDiscountStatus = 'Unused'
                      OR ServiceName = 'AWS CloudTrail'
                      OR Tags IN (SELECT tags FROM unknown_tags))
        FROM billing_usd
    """).fetchall()[0]
    k8s_nodes, k8s_tenants = con.execute("""
        SELECT (SELECT sum(usd) FROM billing_usd
                WHERE ResourceId IN (SELECT node FROM k8s_pods)),
               sum(cost) FILTER (WHERE customer_id IS NOT NULL)
        FROM k8s_pods""").fetchall()[0]
    assert 0 < k8s_tenants < k8s_nodes
    not_attributable += k8s_nodes - k8s_tenants
    truth = _one(con, "SELECT sum(CAST(true_cost AS DECIMAL(38, 6))) FROM ground_truth")
    support = _one(con, "SELECT sum(cost) FROM ticket_costs WHERE known")
    # Other costs are all placed (inside the window, by a rule or on a known customer) except
    # the one naming a deleted customer.
    other = _one(
        con,
        """SELECT sum(CAST(replace(replace(amount, '$', ''), ',', '') AS DECIMAL(38, 2)))
        FROM other_costs WHERE customer_id IS NULL
            OR lower(customer_id) IN (SELECT customer_id FROM customers)""",
    )
    # The demo's data-residency surcharge: 5 % of what customers drove in eu-west-1.
    residency = con.execute("""
        SELECT sum(usd) FILTER (
                   WHERE NOT coalesce(CommitmentDiscountStatus = 'Unused'
                                       OR ServiceName = 'AWS CloudTrail'
                                       OR Tags IN (SELECT tags FROM unknown_tags), false))
        FROM billing_usd WHERE RegionId = 'eu-west-1'
    """).fetchall()[0][0]
    assert residency > 0
    assert not_attributable > 0 and support > 0 and other > 0
    assert float(truth) == pytest.approx(
        total - not_attributable + support + float(other) + 0.05 * residency, rel=1e-6
    )
    assert _one(con, "SELECT count(*) FROM ground_truth WHERE CAST(true_cost AS DOUBLE) = 0") == 0
    assert (
        _one(
            con,
            """SELECT count(*) FROM ground_truth
        WHERE NOT regexp_full_match(true_cost, '-?[0-9]+\\.[0-9]{6}')""",
        )
        == 0
    )
    months = [
        r[0] for r in con.execute("SELECT DISTINCT month FROM ground_truth ORDER BY 1").fetchall()
    ]
    assert months == list(MONTHS)


def test_the_eu_account_is_billed_in_euros_with_daily_rates(
    con: duckdb.DuckDBPyConnection,
) -> None:
    currencies = con.execute(
        "SELECT DISTINCT BillingAccountId, BillingCurrency FROM billing ORDER BY 1"
    ).fetchall()
    assert currencies == [("012345678901", "USD"), ("098765432109", "EUR")]
    # Euro prices are the dollar list x 0.92, and the descriptions say so.
    prices = dict(
        con.execute("""SELECT BillingCurrency, list(DISTINCT CAST(ListUnitPrice AS DOUBLE))
        FROM billing WHERE ChargeDescription LIKE '%On Demand Linux m6i.2xlarge%' GROUP BY 1""").fetchall()
    )
    assert prices == {"USD": [0.384], "EUR": [pytest.approx(0.384 * 0.92)]}
    assert _one(
        con,
        """SELECT bool_and(ChargeDescription LIKE 'EUR %' OR ChargeDescription LIKE '%- EUR %')
        FROM billing WHERE BillingCurrency = 'EUR' AND ChargeCategory = 'Usage'""",
    )
    # EUR rates published on weekdays only, close to 1.08 and smooth; the window starts on a
    # Saturday, which takes Friday's rate; no window day is more than four days from a rate.
    rates = con.execute(
        "SELECT CAST(date AS DATE), currency, CAST(rate AS DOUBLE) FROM fx_rates ORDER BY 1"
    ).fetchall()
    assert {r[1] for r in rates} == {"EUR"}
    days = [r[0] for r in rates]
    assert all(d.weekday() < 5 for d in days) and len(set(days)) == len(days)
    assert days[0] < START - timedelta(days=1) == date(2024, 1, 19) in days
    assert days[-1] <= START + timedelta(days=DAYS - 1)
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        assert (day - max(d for d in days if d <= day)).days <= 4
    values = [r[2] for r in rates]
    assert all(1.0 < v < 1.16 for v in values)
    assert max(abs(b / a - 1) for a, b in itertools.pairwise(values)) < 0.02
    # Over a year end: no rate on 1 January; 29 December's carries over.
    frame, fx = fx_rates(build_world(4, 12, 5, date(2024, 1, 1)))
    published = set(frame["date"])
    assert date(2023, 12, 29) in published and date(2024, 1, 1) not in published
    friday = frame.loc[frame["date"] == date(2023, 12, 29), "rate"].item()
    assert fx[0, 1] == friday and fx[0, 0] == 1.0


def test_kubernetes_inputs_fit_the_bill(con: duckdb.DuckDBPyConnection) -> None:
    known = {r[0] for r in con.execute("SELECT customer_id FROM customers").fetchall()}
    mapping = con.execute(
        "SELECT cluster_id, namespace, customer_id FROM k8s_namespaces"
    ).fetchall()
    assert mapping and {m[0] for m in mapping} == {"prod-use1"}
    assert all(m[2] in known and m[1] == f"tenant-{m[2]}" for m in mapping)
    # Every namespace of k8s_usage is mapped but one, deliberately: the monitoring DaemonSet,
    # which runs on every node every day.
    namespaces = {r[0] for r in con.execute("SELECT DISTINCT namespace FROM k8s_usage").fetchall()}
    assert namespaces - {m[1] for m in mapping} == {"monitoring"}
    nodes = [r[0] for r in con.execute("SELECT DISTINCT node_id FROM k8s_usage").fetchall()]
    assert 3 <= len(nodes) <= 4 and all(n.startswith("aws:///us-east-1") for n in nodes)
    assert (
        _one(
            con,
            "SELECT count(DISTINCT (node_id, interval_start)) FROM k8s_usage"
            " WHERE namespace = 'monitoring'",
        )
        == len(nodes) * DAYS
    )
    # Intervals are whole UTC days of the window.
    assert con.execute("""SELECT min(interval_start), max(interval_end),
        bool_and(date_diff('hour', strptime(interval_start, '%Y-%m-%dT%H:%M:%SZ'),
                                   strptime(interval_end, '%Y-%m-%dT%H:%M:%SZ')) = 24
                 AND interval_start LIKE '%T00:00:00Z') FROM k8s_usage""").fetchall()[0] == (
        f"{START}T00:00:00Z",
        f"{START + timedelta(days=DAYS)}T00:00:00Z",
        True,
    )
    # Each node is one untagged Compute row per day on the USD account, ResourceId = the last
    # segment of its providerID; nothing else on the bill names it.
    bills = con.execute("""SELECT ResourceId, count(*), count(DISTINCT ChargePeriodStart),
            list(DISTINCT BillingCurrency), list(DISTINCT ServiceCategory),
            bool_and(date_diff('hour', strptime(ChargePeriodStart, '%Y-%m-%dT%H:%M:%SZ'),
                               strptime(ChargePeriodEnd, '%Y-%m-%dT%H:%M:%SZ')) = 24),
            bool_or(lower(Tags) LIKE '%customer%')
        FROM billing WHERE ResourceId IN (SELECT DISTINCT regexp_extract(node_id, '[^/]+$')
                                          FROM k8s_usage) GROUP BY 1""").fetchall()
    assert sorted(b[0] for b in bills) == sorted(n.rsplit("/", 1)[1] for n in nodes)
    assert all(b[1:] == (DAYS, DAYS, ["USD"], ["Compute"], True, False) for b in bills)
    # Some capacity is idle: requests stay under every node's capacity; a few pods burst above
    # their CPU request; tenant pods run only in their customer's active window.
    assert (
        _one(
            con,
            """SELECT max(cpu) FROM (SELECT sum(CAST(cpu_request_cores AS DOUBLE))
        / any_value(CAST(node_cpu_cores AS DOUBLE)) AS cpu FROM k8s_usage GROUP BY node_id,
        interval_start)""",
        )
        < 0.95
    )
    bursting = _one(
        con,
        """SELECT avg(CASE WHEN CAST(cpu_usage_cores AS DOUBLE)
        > CAST(cpu_request_cores AS DOUBLE) THEN 1 ELSE 0 END) FROM k8s_usage""",
    )
    assert 0 < bursting < 0.2
    assert (
        _one(
            con,
            """SELECT count(*) FROM k8s_usage k JOIN k8s_namespaces m USING (namespace)
        JOIN customers c USING (customer_id)
        WHERE CAST(left(k.interval_start, 10) AS DATE) < CAST(c.active_from AS DATE)
           OR CAST(left(k.interval_start, 10) AS DATE)
              >= coalesce(CAST(c.active_to AS DATE), DATE '9999-12-31')""",
        )
        == 0
    )
    # The cluster is a modest part of the bill; its idle and monitoring part of the nodes is some.
    cluster, bill = con.execute("""SELECT sum(usd) FILTER (WHERE ResourceId IN
        (SELECT node FROM k8s_pods)), sum(usd) FROM billing_usd""").fetchall()[0]
    assert 0.005 < cluster / bill < 0.1
    tenants = _one(con, "SELECT sum(cost) FROM k8s_pods WHERE customer_id IS NOT NULL")
    assert 0.3 < tenants / cluster < 0.9


def _node_day_by_hand(
    cost: Decimal, pods: list[dict[str, str]], cpu_price: Decimal, ram_price: Decimal
) -> dict[str, Decimal]:
    """docs/kubernetes.md's split of one daily node charge, from the k8s_usage rows: the node's
    capacity over 24 hours, CPU/RAM by the priced capacity, each namespace charged
    max(request, usage); 'idle' is the rest."""
    gib = Decimal(2**30)
    hours = Decimal(24)
    cpu_capacity = Decimal(pods[0]["node_cpu_cores"]) * hours
    ram_capacity = Decimal(pods[0]["node_memory_bytes"]) / gib * hours
    charged = [
        (
            pod["namespace"],
            max(Decimal(pod["cpu_request_cores"]), Decimal(pod["cpu_usage_cores"])) * hours,
            max(Decimal(pod["memory_request_bytes"]), Decimal(pod["memory_usage_bytes"]))
            / gib
            * hours,
        )
        for pod in pods
    ]
    cpu_basis = max(cpu_capacity, sum(c for _, c, _ in charged))
    ram_basis = max(ram_capacity, sum(r for _, _, r in charged))
    ratio = cpu_basis * cpu_price / (cpu_basis * cpu_price + ram_basis * ram_price)
    lines: dict[str, Decimal] = defaultdict(Decimal)
    for namespace, cpu, ram in charged:
        lines[namespace] += cost * (ratio * cpu / cpu_basis + (1 - ratio) * ram / ram_basis)
    lines["idle"] = cost - sum(lines.values())
    return lines


def test_node_cost_truth_matches_a_hand_split(dataset: tuple[Path, GenerateSummary]) -> None:
    """One day of the cluster split by hand from the files: the generator's truth for each tenant
    that day is exactly its namespace's lines; idle and monitoring are left to nobody."""
    out, _ = dataset
    day = date(2024, 2, 5)
    stamp = f"{day}T00:00:00Z"
    settings = yaml.safe_load((out / "allocation.yml").read_text())["kubernetes"]
    assert settings["share_idle"] == "none"
    cpu_price = Decimal(str(settings["cpu_hourly_price"]))
    ram_price = Decimal(str(settings["ram_gib_hourly_price"]))
    with (out / "k8s_usage" / "k8s-usage-2024-02.csv").open(newline="") as handle:
        pods = [row for row in csv.DictReader(handle) if row["interval_start"] == stamp]
    with (out / "billing" / "focus-2024-02.csv").open(newline="") as handle:
        node_cost = {
            row["ResourceId"]: Decimal(row["EffectiveCost"])
            for row in csv.DictReader(handle)
            if row["ResourceName"].startswith("eks-") and row["ChargePeriodStart"] == stamp
        }
    by_namespace: dict[str, Decimal] = defaultdict(Decimal)
    for node in sorted({pod["node_id"] for pod in pods}):
        on_node = [pod for pod in pods if pod["node_id"] == node]
        lines = _node_day_by_hand(node_cost[node.rsplit("/", 1)[1]], on_node, cpu_price, ram_price)
        if not by_namespace:  # the first node, checked in full
            assert sum(lines.values()) == node_cost[node.rsplit("/", 1)[1]]
            assert lines["idle"] > 0 and lines["monitoring"] > 0
            assert len(lines) >= 3  # some tenant, monitoring and idle
        for namespace, amount in lines.items():
            by_namespace[namespace] += amount
    world = build_world(CUSTOMERS, DAYS, 11, START)
    cluster = build_cluster(world)
    truth = {
        f"tenant-{world.ids[c]}": cluster.tenant_cost[(day - START).days, t]
        for t, c in enumerate(cluster.tenants)
    }
    tenants = {n: a for n, a in by_namespace.items() if n.startswith("tenant-")}
    assert tenants and set(tenants) <= set(truth)
    for namespace, expected in truth.items():
        assert expected == pytest.approx(float(tenants.get(namespace, 0)), rel=1e-9, abs=1e-12)


def test_support_tickets_and_rates(con: duckdb.DuckDBPyConnection) -> None:
    rates = con.execute("""
        SELECT agent_tier, CAST(hourly_rate AS DOUBLE), currency, effective_from, effective_to
        FROM support_rates ORDER BY agent_tier, effective_from""").fetchall()
    assert {r[0] for r in rates} == {"tier1", "tier2", "engineer"}
    assert {r[2] for r in rates} == {"USD"}
    assert all(r[3] < START.isoformat() for r in rates if r[0] != "engineer" or r[4])
    engineer = [r for r in rates if r[0] == "engineer"]
    assert len(engineer) == 2
    assert engineer[0][4] == engineer[1][3] and engineer[1][4] is None
    assert START.isoformat() < engineer[1][3] < "2024-03-05" and engineer[1][1] > engineer[0][1]

    bad = _one(
        con,
        """
        SELECT count(*) FROM support_tickets WHERE
            NOT regexp_full_match(ticket_id, 'T[0-9]{6,}')
            OR NOT regexp_full_match(opened_at, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z')
            OR strptime(opened_at, '%Y-%m-%dT%H:%M:%SZ') < TIMESTAMP '2024-01-20'
            OR strptime(opened_at, '%Y-%m-%dT%H:%M:%SZ') >= TIMESTAMP '2024-03-05'
            OR NOT regexp_full_match(handle_minutes, '[0-9]+(\\.[0-9])?')
            OR CAST(handle_minutes AS DOUBLE) <= 0
            OR agent_tier NOT IN ('tier1', 'tier2', 'engineer')""",
    )
    assert bad == 0
    assert _one(con, "SELECT count(DISTINCT ticket_id) = count(*) FROM support_tickets")
    assert _one(con, "SELECT min(ticket_id) FROM support_tickets") == "T000001"
    # Known customers open tickets only inside their active window [active_from, active_to).
    assert (
        _one(
            con,
            """
        SELECT count(*) FROM support_tickets t JOIN customers c USING (customer_id)
        WHERE CAST(strptime(t.opened_at, '%Y-%m-%dT%H:%M:%SZ') AS DATE)
              < CAST(c.active_from AS DATE)
           OR CAST(strptime(t.opened_at, '%Y-%m-%dT%H:%M:%SZ') AS DATE)
              >= coalesce(CAST(c.active_to AS DATE), DATE '9999-12-31')""",
        )
        == 0
    )
    # Every ticket has exactly one rate in effect for its tier on its UTC date.
    assert _one(con, "SELECT count(*) FROM ticket_costs WHERE matches <> 1") == 0
    unknown, tiers = con.execute(
        "SELECT avg(CASE WHEN known THEN 0 ELSE 1 END), list(DISTINCT agent_tier) FROM ticket_costs"
    ).fetchall()[0]
    assert unknown < 0.1 and set(tiers) <= {"tier1", "tier2", "engineer"}
    assert (
        _one(
            con,
            """SELECT count(*) FROM support_tickets ANTI JOIN customers USING (customer_id)
        WHERE NOT regexp_full_match(customer_id, 'cust-deleted-[0-9]{2,}')""",
        )
        == 0
    )
    # Enterprise customers open more tickets per customer than free ones.
    per = dict(
        con.execute("""
        SELECT c.segment, count(t.ticket_id) / count(DISTINCT c.customer_id)
        FROM customers c LEFT JOIN support_tickets t USING (customer_id) GROUP BY 1""").fetchall()
    )
    assert per["enterprise"] > per["free"]


def test_support_unknown_customers_are_about_two_percent(tmp_path: Path) -> None:
    generate(tmp_path, customers=2000, days=30, seed=2, file_format="csv")
    db = duckdb.connect()
    share = _one(
        db,
        f"""SELECT avg(CASE WHEN customer_id LIKE 'cust-deleted-%' THEN 1 ELSE 0 END)
        FROM read_csv('{tmp_path}/support_tickets.csv', all_varchar = true, header = true)""",
    )
    assert 0.005 < share < 0.05


def test_tags_are_partial_and_messy(con: duckdb.DuckDBPyConnection) -> None:
    tags = con.execute("""
        SELECT Tags, sum(CAST(EffectiveCost AS DOUBLE)) FROM billing GROUP BY 1
    """).fetchall()
    total = sum(cost for _, cost in tags)
    tagged = sum(cost for t, cost in tags if _customer_in_tags(t))
    assert 0.05 < tagged / total < 0.6
    keys = {k for t, _ in tags if _customer_in_tags(t) for k in json.loads(t)}
    assert {"customer_id", "user:customer_id"} <= keys
    assert any(
        k != k.strip() or (k != k.lower() and k.strip().lower() == "customer_id") for k in keys
    )
    assert _one(con, "SELECT count(*) FROM unknown_tags") > 0
    # Shared resources carry no customer tag.
    assert (
        _one(
            con,
            """SELECT count(*) FROM billing WHERE ResourceName LIKE 'shared-%'
        AND lower(Tags) LIKE '%customer_id%'""",
        )
        == 0
    )


def test_cloudwatch_is_one_row_per_region_and_month(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("""
        SELECT RegionId, ChargePeriodStart, ChargePeriodEnd, ChargeFrequency
        FROM billing WHERE ServiceName = 'Amazon CloudWatch' ORDER BY 1, 2
    """).fetchall()
    regions = {r[0] for r in rows}
    assert len(rows) == len(regions) * len(MONTHS)
    periods = sorted({(r[1], r[2]) for r in rows})
    assert periods == [
        ("2024-01-20T00:00:00Z", "2024-02-01T00:00:00Z"),  # window starts mid-month
        ("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"),
        ("2024-03-01T00:00:00Z", "2024-03-05T00:00:00Z"),  # window ends mid-month
    ]
    assert {r[3] for r in rows} == {"Recurring"}


def test_shapes_of_other_charges(con: duckdb.DuckDBPyConnection) -> None:
    hourly = dict(
        con.execute("""
        SELECT ServiceName, bool_and(date_diff('hour',
            strptime(ChargePeriodStart, '%Y-%m-%dT%H:%M:%SZ'),
            strptime(ChargePeriodEnd, '%Y-%m-%dT%H:%M:%SZ')) = 1)
        FROM billing WHERE ChargeCategory = 'Usage'
            AND ServiceName IN ('Amazon Elastic Compute Cloud', 'Amazon Relational Database Service')
            AND ResourceName NOT LIKE 'eks-%'
        GROUP BY 1""").fetchall()
    )
    assert hourly == {
        "Amazon Elastic Compute Cloud": True,
        "Amazon Relational Database Service": True,
    }
    daily = con.execute("""
        SELECT count(*) FILTER (WHERE date_diff('hour',
            strptime(ChargePeriodStart, '%Y-%m-%dT%H:%M:%SZ'),
            strptime(ChargePeriodEnd, '%Y-%m-%dT%H:%M:%SZ')) <> 24), count(*)
        FROM billing WHERE ServiceName IN ('Amazon Simple Storage Service', 'Amazon CloudFront',
            'AWS Lambda', 'AWS CloudTrail') OR ChargeCategory IN ('Tax', 'Credit')
            OR ResourceName LIKE 'eks-%'""").fetchall()
    assert daily[0][0] == 0 and daily[0][1] > 0
    # Tax is 8 % of each account-day's usage; credits are negative.
    assert (
        _one(
            con,
            """SELECT count(*) FROM billing WHERE ChargeCategory = 'Credit'
        AND NOT (CAST(BilledCost AS DOUBLE) < 0 AND CAST(EffectiveCost AS DOUBLE) < 0)""",
        )
        == 0
    )
    ratio = _one(
        con,
        """
        SELECT sum(CAST(EffectiveCost AS DOUBLE)) FILTER (WHERE ChargeCategory = 'Tax')
             / sum(CAST(EffectiveCost AS DOUBLE)) FILTER (WHERE ChargeCategory = 'Usage')
        FROM billing""",
    )
    assert ratio == pytest.approx(0.08, rel=0.01)


def test_allocation_rules_fit_the_data(
    dataset: tuple[Path, GenerateSummary], con: duckdb.DuckDBPyConnection
) -> None:
    out, _ = dataset
    spec = yaml.safe_load((out / "allocation.yml").read_text())
    assert spec["customer_tag_key"] == "customer_id"
    rules = {rule["name"]: rule for rule in spec["rules"]}
    assert rules["tagged"]["method"] == "tag"
    metrics = {r[0] for r in con.execute("SELECT DISTINCT metric FROM usage").fetchall()}
    usage_metrics = {rule["metric"] for rule in spec["rules"] if rule["method"] == "usage"}
    assert usage_metrics == metrics
    # Reconciliation compares the metrics the bill meters in their own unit (docs/reconciliation.md).
    assert spec["reconciliation"]["units"] == {"egress_gb": "GB", "lambda_gb_seconds": "GB-Seconds"}
    # The compute rule must not pick up the unused commitment.
    compute = rules["compute-by-cpu"]["match"]
    matched_unused = _one(
        con,
        f"""
        SELECT count(*) FROM (SELECT ServiceName AS service_name,
            CommitmentDiscountStatus AS commitment_discount_status FROM billing)
        WHERE commitment_discount_status = 'Unused' AND ({compute})""",
    )
    assert matched_unused == 0
    rules_module = pytest.importorskip("cpc.rules")
    rules_module.load_rules(out / "allocation.yml")


def test_other_costs_fit_the_window_and_the_rules(
    dataset: tuple[Path, GenerateSummary], con: duckdb.DuckDBPyConnection
) -> None:
    out, _ = dataset
    rows = con.execute("SELECT * FROM other_costs").fetchall()
    columns = [d[0] for d in con.description]
    costs = [dict(zip(columns, row, strict=True)) for row in rows]
    known = {r[0] for r in con.execute("SELECT customer_id FROM customers").fetchall()}
    end = START + timedelta(days=DAYS)
    assert len({c["cost_id"] for c in costs}) == len(costs)
    for cost in costs:
        incurred = date.fromisoformat(cost["incurred_date"])
        months = int(cost["amortization_months"] or 0)
        assert START <= incurred < end and months >= 0
        assert add_months(incurred, months) <= end if months else incurred < end
        category = cost["category"].strip().lower()
        assert category in {"engineering", "security", "compliance", "hardware", "licence"}
        assert float(cost["amount"].replace("$", "").replace(",", "")) > 0
        customer = cost["customer_id"]
        if customer is None:
            # Every cost naming no customer is matched by a demo rule.
            assert category == "engineering" or cost["pool"] == "platform"
        else:
            assert customer.lower() in known or customer.startswith("cust-deleted-")
    assert {c["pool"] for c in costs} <= {None, "platform"}
    # Messy on purpose: mixed-case categories, a dollar amount, a blank currency, an upper-case id.
    assert any(c["amount"].startswith("$") for c in costs)
    assert any(c["currency"] is None for c in costs)
    assert any(c["customer_id"] and c["customer_id"] != c["customer_id"].lower() for c in costs)
    spec = yaml.safe_load((out / "allocation.yml").read_text())
    matches = {rule["name"]: rule.get("match") for rule in spec["rules"]}
    assert matches["engineering-by-revenue"] == "category = 'engineering'"
    assert matches["platform-pool-evenly"] == "pool = 'platform'"


def test_other_costs_amortize_across_a_year_end_and_from_a_leap_day() -> None:
    """Over a window of three years from 29 February 2024, salaries booked mid-month amortize
    over 12 months across the year end, the servers bought on the leap day over 36 months (to
    2027-02-28), and the ground truth places every cost that names no deleted customer."""
    start, days = date(2024, 2, 29), 1096
    world = build_world(4, days, 1, start)
    months = calendar_months(start, days)
    costs = {cost.cost_id: cost for cost in other_costs(world)}
    salary = costs["ENG-2024-03"]
    assert (salary.incurred, salary.months) == (date(2024, 3, 15), 12)
    assert other_cost_schedule(salary) == (date(2024, 3, 15), date(2025, 3, 15))
    servers = costs["HW-1"]
    assert (servers.incurred, servers.months) == (date(2024, 2, 29), 36)
    assert other_cost_schedule(servers) == (date(2024, 2, 29), date(2027, 2, 28))
    assert all(other_cost_schedule(c)[1] <= start + timedelta(days=days) for c in costs.values())
    truth = other_costs_truth(world, months, list(costs.values()), revenue(world, months))
    placed = sum(c.amount for c in costs.values() if c.customer is None or c.customer >= 0)
    assert truth.sum() == pytest.approx(placed, rel=1e-9)


def test_parquet_keeps_ids_as_text(tmp_path: Path) -> None:
    summary = generate(tmp_path, customers=12, days=5, seed=3, file_format="parquet")
    assert sorted(p.name for p in (tmp_path / "billing").iterdir()) == ["focus-2024-01.parquet"]
    db = duckdb.connect()
    types = dict(
        db.execute(f"""SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM
        read_parquet('{tmp_path}/billing/*.parquet'))""").fetchall()
    )
    assert types["BillingAccountId"] == "VARCHAR" and types["SubAccountId"] == "VARCHAR"
    assert types["EffectiveCost"].startswith("DECIMAL")
    assert (
        _one(
            db,
            f"""SELECT count(*) FROM read_parquet('{tmp_path}/billing/*.parquet')
        WHERE BillingAccountId NOT LIKE '0%'""",
        )
        == 0
    )
    assert _one(db, f"SELECT count(*) FROM read_parquet('{tmp_path}/usage/*.parquet')") == (
        summary.usage_rows
    )


def test_rerun_replaces_its_own_month_files_only(tmp_path: Path) -> None:
    generate(tmp_path, customers=8, days=40, seed=1, file_format="csv")
    foreign = tmp_path / "billing" / "my-export.csv"
    foreign.write_text("x\n")
    generate(tmp_path, customers=8, days=10, seed=1, file_format="csv.gz")
    assert sorted(p.name for p in (tmp_path / "billing").iterdir()) == [
        "focus-2024-01.csv.gz",
        "my-export.csv",
    ]
    assert sorted(p.name for p in (tmp_path / "usage").iterdir()) == ["usage-2024-01.csv.gz"]
    assert sorted(p.name for p in (tmp_path / "k8s_usage").iterdir()) == [
        "k8s-usage-2024-01.csv.gz"
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"customers": 0}, "customers"),
        ({"days": 0}, "days"),
        ({"file_format": "xlsx"}, "format"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise_user_error(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"customers": 3, "days": 2, "seed": 1, **kwargs}
    with pytest.raises(UserError, match=message) as info:
        generate(tmp_path / "out", **args)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
    assert not (tmp_path / "out").exists()


def test_injected_anomalies_show_in_the_telemetry(
    dataset: tuple[Path, GenerateSummary], con: duckdb.DuckDBPyConnection
) -> None:
    out, _ = dataset
    with (out / "ground_truth_anomalies.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["kind"] for row in rows] == ["runaway", "drift", "blip"]
    assert len({row["customer_id"] for row in rows}) == 3
    segments = dict(con.execute("SELECT customer_id, segment FROM customers").fetchall())
    assert {segments[row["customer_id"]] for row in rows} == {"mid-market"}

    def daily(customer: str, metric: str) -> dict[date, float]:
        return {
            date.fromisoformat(day): float(total)
            for day, total in con.execute(
                "SELECT usage_date, sum(CAST(quantity AS DOUBLE) / coalesce(CAST(sample_rate AS DOUBLE), 1)) FROM usage "
                "WHERE customer_id = ? AND metric = ? GROUP BY 1",
                [customer, metric],
            ).fetchall()
        }

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[len(ordered) // 2]

    # About 1 % of telemetry rows lost their customer id, so a day may lack a metric's row.
    activity = ("cpu_core_hours", "db_cpu_seconds", "egress_gb", "lambda_gb_seconds", "log_gb")
    blip_rows = 0
    for row in rows:
        first, last = date.fromisoformat(row["first_date"]), date.fromisoformat(row["last_date"])
        assert first >= START + timedelta(days=21)  # history before every anomaly
        for metric in activity if row["kind"] == "blip" else ("cpu_core_hours",):
            series = daily(row["customer_id"], metric)
            if not series:
                continue
            before = median([v for d, v in series.items() if d < first])
            during = [v for d, v in sorted(series.items()) if first <= d <= last]
            if row["kind"] == "runaway":
                assert (last - first).days == 3 and len(during) >= 3 and min(during) > 3 * before
            elif row["kind"] == "blip":
                assert first == last and all(v > 2 * before for v in during), metric
                blip_rows += len(during)
            else:
                assert last == START + timedelta(days=DAYS - 1)
                assert sum(during[-5:]) / 5 > 1.6 * before
    assert blip_rows >= 3
    # Too short a window for history before an anomaly: none are injected.
    short = generate(out.parent / "short", customers=CUSTOMERS, days=20, seed=11, file_format="csv")
    assert (short.out_dir / "ground_truth_anomalies.csv").read_text().splitlines() == [
        "customer_id,kind,scope,first_date,last_date,factor"
    ]


def test_unit_cost_truth_prices_one_more_unit_of_each_shared_service(
    dataset: tuple[Path, GenerateSummary],
) -> None:
    """ground_truth_unit_costs.csv: per shared service and month, the USD price of one more unit
    of its metric, and a fixed part such that the month's mean daily cost is fixed + unit x volume."""
    out, _ = dataset
    with duckdb.connect() as db:
        rows = db.execute(
            f"""SELECT service_name, metric, month, cost_shape, CAST(true_unit_cost AS DOUBLE),
                       CAST(true_fixed_cost_daily AS DOUBLE), CAST(true_cost_daily AS DOUBLE),
                       CAST(true_volume_daily AS DOUBLE)
                FROM read_csv('{out}/ground_truth_unit_costs.csv', header = true)"""
        ).fetchall()
    assert {r[2] for r in rows} == set(MONTHS)
    by_key = {(r[1], r[2]): r for r in rows}
    for service, metric, _, shape, unit, fixed, cost, volume in rows:
        assert cost == pytest.approx(fixed + unit * volume, rel=1e-5, abs=1e-5), (service, metric)
        if shape in ("linear", "billed_monthly"):
            assert abs(fixed) < 1e-4 * max(cost, 1), (service, metric)
    # The list price in USD: the EU's euro list (0.92) at about 1.08 a euro and its 5 % surcharge
    # keep a blend of regions within a few percent of the dollar price.
    for month in MONTHS:
        assert by_key[("egress_gb", month)][4] == pytest.approx(0.085, rel=0.03)
        assert by_key[("lambda_gb_seconds", month)][4] == pytest.approx(0.0000166667, rel=0.03)
        assert by_key[("log_gb", month)][4] == pytest.approx(0.50, rel=0.03)
        assert by_key[("db_cpu_seconds", month)][3] == "fixed" and by_key[("db_cpu_seconds", month)][4] == 0

"""End to end on DuckDB: generated data scored against its ground truth, the FOCUS specification's
examples, a bad-input fixture, and the errors a user sees."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURES, BuiltInput, build_ok, query, run_cpc
from cpc import PROJECT_DIR, truth
from cpc.build import resolve_rules
from cpc.generate import DATA_RESIDENCY_RATE, DATA_RESIDENCY_REGION
from cpc.warehouse import open_warehouse

RELATIVE_TOLERANCE = Decimal("1e-6")


def _fx_rates(input_dir: Path) -> dict[str, list[tuple[str, Decimal]]]:
    """fx_rates.csv as {currency: [(date, rate), ...]} by date (empty without the file)."""
    rates: dict[str, list[tuple[str, Decimal]]] = {}
    path = input_dir / "fx_rates.csv"
    if path.is_file():
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                rates.setdefault(row["currency"].strip().upper(), []).append((row["date"][:10], Decimal(row["rate"])))
    return {currency: sorted(days) for currency, days in rates.items()}


def _in_usd(amount: Decimal, currency: str | None, start: str | None, end: str | None,
            rates: dict[str, list[tuple[str, Decimal]]]) -> Decimal:
    """A charge in USD as docs/allocation.md converts it: split over its UTC days by overlap, each
    day at the last rate published on or before it. USD (or no currency, or no period) as is."""
    currency = (currency or "").strip().upper()
    if currency in ("", "USD") or not start or not end:
        return amount
    begin, finish = (datetime.fromisoformat(text.strip()).replace(tzinfo=None) for text in (start, end))
    seconds = Decimal((finish - begin).total_seconds())
    total = Decimal(0)
    day = datetime(begin.year, begin.month, begin.day)
    while day < finish:
        overlap = min(finish, day + timedelta(days=1)) - max(begin, day)
        rate = [rate for date, rate in rates[currency] if date <= day.date().isoformat()][-1]
        total += amount * Decimal(overlap.total_seconds()) / seconds * rate
        day += timedelta(days=1)
    return total


def raw_effective_cost(input_dir: Path, region: str | None = None) -> Decimal:
    """Sum of every readable EffectiveCost in the billing files in USD, read here with Python's csv
    module, independently of the pipeline ("$1,000.00 " reads as 1000; blanks, null and junk are
    skipped); a row in another BillingCurrency is converted with fx_rates.csv (_in_usd). With
    ``region``, only the rows whose RegionId is that region."""
    rates = _fx_rates(input_dir)
    total = Decimal(0)
    for path in sorted((input_dir / "billing").rglob("*")):
        if path.suffix == ".parquet":
            with duckdb.connect() as con:
                relation = con.execute("select * from read_parquet(?) limit 0", [str(path)])
                names = {name.lower(): name for name, *_ in relation.description}
                picked = ", ".join(f'cast("{names[c]}" as varchar)' if c in names else "null" for c in
                                   ("effectivecost", "billingcurrency", "chargeperiodstart", "chargeperiodend",
                                    "regionid"))
                rows = con.execute(f"select {picked} from read_parquet(?)", [str(path)]).fetchall()
        elif path.name.endswith((".csv", ".csv.gz")):
            opener = gzip.open if path.name.endswith(".gz") else open
            with opener(path, "rt", newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                columns = {name.strip().lower(): name for name in reader.fieldnames or []}
                if "effectivecost" not in columns:
                    continue
                rows = [tuple(row.get(columns.get(c, ""), None) for c in
                              ("effectivecost", "billingcurrency", "chargeperiodstart", "chargeperiodend",
                               "regionid"))
                        for row in reader if any(row.values())]
        else:
            continue
        for value, currency, start, end, region_id in rows:
            if region is not None and (region_id or "").strip() != region:
                continue
            text = (value or "").replace("$", "").replace(",", "").strip()
            try:
                number = Decimal(text)
            except ArithmeticError:
                continue
            if number.is_finite():
                total += _in_usd(number, currency, start, end, rates)
    return total


def marts_total(warehouse: Path) -> tuple[Decimal, Decimal]:
    allocated, unattributed = query(
        warehouse,
        "select (select coalesce(sum(allocated_cost), 0) from marts.customer_costs_daily),"
        " (select coalesce(sum(unattributed_cost), 0) from marts.unattributed_costs_daily)",
    )[0]
    return Decimal(allocated), Decimal(unattributed)


def raw_support_cost(input_dir: Path) -> Decimal:
    """Every support ticket priced here in Python: minutes / 60 x its tier's rate on its UTC day."""
    with (input_dir / "support_rates.csv").open(newline="") as handle:
        rates = list(csv.DictReader(handle))
    total = Decimal(0)
    with (input_dir / "support_tickets.csv").open(newline="") as handle:
        for ticket in csv.DictReader(handle):
            day = ticket["opened_at"][:10]
            rate = next(
                Decimal(r["hourly_rate"]) for r in rates
                if r["agent_tier"] == ticket["agent_tier"] and r["effective_from"] <= day
                and (not r["effective_to"] or day < r["effective_to"])
            )
            total += Decimal(ticket["handle_minutes"]) / 60 * rate
    return total


def raw_other_costs(input_dir: Path) -> Decimal:
    """Every amount of other_costs.csv, read here with Python's csv module ("$1,000.00" is 1000)."""
    path = input_dir / "other_costs.csv"
    if not path.is_file():
        return Decimal(0)
    with path.open(newline="") as handle:
        return sum((Decimal(row["amount"].replace("$", "").replace(",", "").strip())
                    for row in csv.DictReader(handle)), Decimal(0))


def raw_generated_input_cost(input_dir: Path) -> Decimal:
    """What a generated input puts into the ledger, computed here from the files: the bill, support
    and other costs, and the demo allocation.yml's data-residency surcharge on every eu-west-1
    charge (money on top of the bill, which must reach the marts too)."""
    surcharges = Decimal(str(DATA_RESIDENCY_RATE)) * raw_effective_cost(input_dir, DATA_RESIDENCY_REGION)
    assert surcharges > 0
    return raw_effective_cost(input_dir) + raw_support_cost(input_dir) + raw_other_costs(input_dir) + surcharges


def test_generated_bill_is_conserved_dollar_for_dollar(generated_build: BuiltInput) -> None:
    bill = raw_generated_input_cost(generated_build.input_dir)
    allocated, unattributed = marts_total(generated_build.warehouse)
    assert abs(allocated + unattributed - bill) <= RELATIVE_TOLERANCE * abs(bill)
    # The generator's data is mostly attributable: what is left is unused commitment and
    # telemetry without a customer, well under the 5 % goal.
    assert unattributed / bill < Decimal("0.05")


def test_generated_costs_match_ground_truth(generated_build: BuiltInput) -> None:
    with open_warehouse(generated_build.warehouse) as run:
        score = truth.score(run, generated_build.input_dir / "ground_truth.csv")
    print(
        f"weighted absolute error vs ground truth: {score.wape:.4%} over {score.customer_months} customer-months"
    )
    assert score.customer_months > 200
    assert score.wape < truth.WAPE_BOUND
    # Marginal cost: the reliable estimates against the true unit prices (docs/marginal_cost.md).
    with open_warehouse(generated_build.warehouse) as run:
        marginal = truth.score_marginal(run, generated_build.input_dir / "ground_truth_unit_costs.csv")
    print(
        f"marginal cost vs ground truth: {marginal.wape:.2%} weighted error over "
        f"{len(marginal.reliable)} of {len(marginal.estimates)} family-months judged reliable"
    )
    assert len(marginal.reliable) >= 4
    assert marginal.wape < truth.MARGINAL_BOUND
    # A cost billed by the month and spread evenly, or one that does not move, is never trusted.
    assert not [e for e in marginal.estimates if e.is_reliable and e.cost_shape in ("billed_monthly", "fixed")]


def test_ledger_records_rules_and_every_method(generated_build: BuiltInput) -> None:
    digest = hashlib.sha256((generated_build.input_dir / "allocation.yml").read_bytes()).hexdigest()
    methods = dict(
        query(
            generated_build.warehouse,
            "select allocation_method, count(distinct rules_hash) from marts.customer_costs_daily group by 1",
        )
    )
    assert set(methods) == {
        "tag", "usage", "even", "weighted", "fixed", "revenue", "proportional_to_cost", "direct"
    }
    # rules_hash names the rules in effect on the row's day: one value per stretch between the
    # dates where a rule's or surcharge's window opens or closes, a different one for each stretch.
    ruleset = resolve_rules(generated_build.input_dir, None, "duckdb")
    dates = sorted({day for item in (*ruleset.rules, *ruleset.surcharges)
                    for day in (item.effective_from, item.effective_to) if day})
    by_stretch: dict[int, set[str]] = {}
    for day, rules_hash in query(generated_build.warehouse,
                                 "select distinct cost_date, rules_hash from marts.customer_costs_daily"):
        by_stretch.setdefault(sum(1 for date in dates if date <= day), set()).add(rules_hash)
    assert len(by_stretch) >= 2, (dates, by_stretch)
    assert all(len(hashes) == 1 for hashes in by_stretch.values()), by_stretch
    assert len(set().union(*by_stretch.values())) == len(by_stretch)
    # The file's own hash is the build summary's.
    target = generated_build.warehouse.parent / f"{generated_build.warehouse.stem}.dbt" / "target"
    assert json.loads((target / "cpc_build.json").read_text())["rules_hash"] == digest


def test_ledger_grows_with_pools_not_line_items(generated_build: BuiltInput) -> None:
    ledger_rows, pools, customers, rule_pools = query(
        generated_build.warehouse,
        "select count(*), count(distinct pool_id), count(distinct customer_id),"
        " count(distinct case when allocation_method <> 'direct' and surcharge_name is null then pool_id end)"
        " from marts.customer_costs_daily",
    )[0]
    billing_rows = query(generated_build.warehouse, "select count(*) from cpc_raw.billing")[0][0]
    assert ledger_rows <= pools * customers
    # Hourly line items are summed into daily pools before rules split them (direct pools, one per
    # customer and day for support, other costs and Kubernetes workloads, aside, and so are the
    # surcharge pools, which mirror the pools of the charges they are derived from).
    assert rule_pools < billing_rows / 10


def test_sampled_telemetry_is_scaled_checked_and_banded(generated_build: BuiltInput) -> None:
    """The generator samples function telemetry from the 15th of each month (rate 0.25): those rows
    drive with four times what they kept, each switch between sampled and unsampled days is
    compared and none is biased, and the months with sampled usage carry a sampling band."""
    usage = f"read_csv('{generated_build.input_dir}/usage/*.csv*', all_varchar = true, header = true)"
    days = dict(duckdb.sql(
        f"select cast(usage_date as date), max(sample_rate) is not null from {usage}"
        " where metric = 'lambda_gb_seconds' group by 1"
    ).fetchall())
    expected = {(day, "sampling_started" if sampled else "sampling_stopped")
                for day, sampled in days.items()
                if day - timedelta(days=1) in days and days[day - timedelta(days=1)] != sampled}
    checks = query(
        generated_build.warehouse,
        "select switch_date, switch_kind, is_biased, sampled_days, unsampled_days from marts.telemetry_sampling_bias",
    )
    assert expected and {(day, kind) for day, kind, *_ in checks} == expected
    assert not any(biased for _, _, biased, *_ in checks)
    assert all(sampled >= 1 and unsampled >= 1 for *_, sampled, unsampled in checks)

    # Per day, the ledger's function usage drives with the kept quantity / 0.25 on sampled days.
    ledger = query(
        generated_build.warehouse,
        "select cost_date, sum(driver_quantity), sum(raw_driver_quantity), sum(cost_sampling_variance)"
        " from marts.customer_costs_daily where allocation_method = 'usage' and driver_metric = 'lambda_gb_seconds'"
        " group by 1",
    )
    assert ledger
    for day, scaled, raw, variance in ledger:
        assert scaled == (raw * 4 if days[day] else raw), day
        assert (variance > 0) == days[day], day

    # The band: positive exactly for the customer-months with sampled usage cost, and narrow.
    banded = query(
        generated_build.warehouse,
        "select m.customer_id, m.month, m.sampling_error, m.total_cost,"
        " coalesce(sum(d.cost_sampling_variance), 0) > 0"
        " from marts.customer_costs_monthly as m left join marts.customer_costs_daily as d"
        " on d.customer_id = m.customer_id and date_trunc('month', d.cost_date) = m.month"
        " group by 1, 2, 3, 4",
    )
    assert any(band > 0 for _, _, band, _, _ in banded)
    for customer, month, band, total, sampled in banded:
        if not sampled:
            assert band == 0, (customer, month)
        assert band <= Decimal("0.05") * abs(total), (customer, month, band, total)


def test_feature_costs_split_each_customers_usage_cost(generated_build: BuiltInput) -> None:
    """Every feature the telemetry names for a customer has cost in its months, and the rest of
    its usage-driven cost is unassigned; the parts add up to the ledger's usage cost exactly."""
    usage = f"read_csv('{generated_build.input_dir}/usage/*.csv*', all_varchar = true, header = true)"
    named = set(duckdb.sql(
        f"select distinct customer_id, feature from {usage} where feature is not null and customer_id is not null"
    ).fetchall())
    costed = set(query(
        generated_build.warehouse,
        "select distinct customer_id, feature from marts.customer_feature_costs_monthly where feature <> 'unassigned'",
    ))
    known = {row[0] for row in query(generated_build.warehouse, "select customer_id from marts.customers")}
    assert named and costed == {(customer, feature) for customer, feature in named if customer in known}
    differences = query(
        generated_build.warehouse,
        "select f.customer_id, f.month, f.usage_cost, sum(d.allocated_cost)"
        " from (select distinct customer_id, month, usage_cost from marts.customer_feature_costs_monthly) as f"
        " inner join marts.customer_costs_daily as d"
        " on d.customer_id = f.customer_id and date_trunc('month', d.cost_date) = f.month and d.allocation_method = 'usage'"
        " group by 1, 2, 3 having f.usage_cost <> sum(d.allocated_cost)",
    )
    assert differences == []
    totals = query(
        generated_build.warehouse,
        "select (select sum(feature_cost) from marts.feature_costs_monthly),"
        " (select sum(allocated_cost) from marts.customer_costs_daily where allocation_method = 'usage')",
    )[0]
    assert totals[0] == totals[1]


def test_report_prints_customers_segments_reasons_and_truth(generated_build: BuiltInput) -> None:
    done = run_cpc(
        "report",
        "--warehouse",
        str(generated_build.warehouse),
        "--input",
        str(generated_build.input_dir),
    )
    assert done.returncode == 0, done.stderr
    for heading in (
        "Top 10 customers by cost",
        "Segments by month",
        "Unattributed cost by reason",
        "Against the ground truth",
        "Marginal cost against ground_truth_unit_costs.csv",
    ):
        assert heading in done.stdout
    top = query(
        generated_build.warehouse,
        "select customer_id from marts.customer_costs_monthly group by 1 order by sum(total_cost) desc limit 1",
    )[0][0]
    assert top in done.stdout


def _focus_examples_input(tmp_path: Path) -> Path:
    """The spec's examples as one delivery: every file flat in billing/.

    The examples are independent scenarios that share billing accounts and periods; kept in
    their own folders they would be separate deliveries, each restating the previous one.
    """
    input_dir = tmp_path / "input"
    (input_dir / "billing").mkdir(parents=True)
    for path in sorted((FIXTURES / "focus_spec_examples").rglob("*.csv")):
        shutil.copyfile(path, input_dir / "billing" / path.name)
    (input_dir / "customers.csv").write_text(
        "customer_id,customer_name,segment\nacme,Acme,enterprise\n"
    )
    # The examples write US dates (4/1/25) whose days are all 1 or 2: nothing in them shows the
    # order, so it is declared, as a user would.
    (input_dir / "input.yml").write_text("date_order: month_first\n")
    return input_dir


def test_focus_specification_examples_build_and_conserve(tmp_path: Path) -> None:
    input_dir = _focus_examples_input(tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    build_ok(input_dir, warehouse)
    allocated, unattributed = marts_total(warehouse)
    bill = raw_effective_cost(input_dir)
    assert allocated + unattributed == bill
    # The upstream typo (hour 30) is quarantined with its file and record, not dropped.
    rows = query(
        warehouse,
        "select source_file, source_row, quarantine_reason, effective_cost from marts.quarantined_rows",
    )
    assert (
        "billing/commitment_discount_purchase_scenario_3.csv",
        4,
        "unparseable ChargePeriodEnd",
        Decimal("0E-10"),
    ) in rows
    # Unused commitment is kept visible, never placed on a customer by the defaults.
    reasons = dict(
        query(
            warehouse,
            "select reason, sum(unattributed_cost) from marts.unattributed_costs_monthly group by 1",
        )
    )
    assert reasons["unused_commitment"] > 0
    # Golden amortization (the spec's commitment-flexibility examples, each file one commitment
    # for one hour): Used + Unused EffectiveCost = the purchase's BilledCost, and the purchase
    # itself carries EffectiveCost 0, so nothing is counted twice.
    golden = query(
        warehouse,
        "select source_file,"
        " sum(case when charge_category = 'Purchase' then billed_cost else 0 end),"
        " sum(case when charge_category = 'Purchase' then effective_cost else 0 end),"
        " sum(case when commitment_discount_status in ('Used', 'Unused') then effective_cost else 0 end)"
        " from intermediate.int_charges_deduplicated"
        " where commitment_discount_id is not null and superseded_reason is null"
        " and source_file like '%utilization%' group by 1 order by 1",
    )
    assert len(golden) == 4
    for source_file, purchase_billed, purchase_effective, used_and_unused in golden:
        assert purchase_billed > 0 and purchase_effective == 0, source_file
        assert used_and_unused == purchase_billed, source_file


def test_bad_input_is_quarantined_with_reasons_and_conserved(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_ok(FIXTURES / "bad_input", warehouse)
    quarantined = query(
        warehouse,
        "select input_name, source_row, quarantine_reason, effective_cost from marts.quarantined_rows"
        " order by input_name, source_row",
    )
    assert quarantined == [
        ("billing", 3, "unparseable ChargePeriodEnd", Decimal("1.25")),
        ("billing", 4, "ChargePeriodEnd before ChargePeriodStart", Decimal(4)),
        ("billing", 5, "unparseable EffectiveCost", None),
        ("billing", 6, "missing EffectiveCost", None),
        ("billing", 7, "Tags is not a JSON object", Decimal(3)),
        ("billing", 8, "unparseable ChargePeriodStart", Decimal("0.75")),
        ("budgets", 3, "unknown customer_id nobody", None),
        ("budgets", 4, "no customer has segment gold", None),
        ("budgets", 5, "both customer_id and segment (a budget is for one customer or for each customer of one segment)",
         None),
        ("budgets", 6, "unparseable month", None),
        ("budgets", 7, "negative amount", None),
        ("budgets", 8, "no EUR exchange rate in the month", None),
        ("customers", 3, "duplicate customer_id", None),
        ("customers", 4, "missing segment", None),
        ("customers", 5, "active_to not after active_from", None),
        ("revenue", 2, "unparseable month", None),
        ("support_rates", 2, "unparseable hourly_rate", None),
        ("support_tickets", 3, "unparseable handle_minutes", None),
        ("support_tickets", 4, "no support rate for agent_tier tier2 on that day", None),
        ("usage", 4, "unparseable usage_date", None),
        ("usage", 5, "negative quantity", None),
        ("usage", 6, "missing metric", None),
        ("usage", 7, "unparseable quantity", None),
        ("usage", 8, "sample_rate outside (0, 1]", None),
        ("usage", 9, "unparseable sample_rate", None),
    ]
    customers = dict(
        query(
            warehouse,
            "select customer_id, sum(allocated_cost) from marts.customer_costs_daily group by 1",
        )
    )
    # acme: its tagged 2.50 plus 3/5 of the untagged 6.00 split by cpu usage, plus a 30-minute
    # tier1 ticket at 60/h; globex 1/5 of the untagged cost: its 0.5 sampled at rate 0.5 drives 1.
    assert customers == {"acme": Decimal("36.1"), "globex": Decimal("1.2")}
    assert query(
        warehouse,
        "select driver_quantity, raw_driver_quantity, allocated_cost from marts.customer_costs_daily"
        " where customer_id = 'globex' and allocation_method = 'usage'",
    ) == [(Decimal(1), Decimal("0.5"), Decimal("1.2"))]
    # The sampled 0.5 (variance 0.5 x 0.5 / 0.25 = 1) leaves a band on both customers' usage cost:
    # globex's share 1/5 has variance (4^2 x 1) / 5^4, so its cost of the 6.00 pool varies by
    # 36 x 16 / 625 = 0.9216 and the band is 1.96 x 0.96 = 1.88; acme's share 3/5 has variance
    # (3^2 x 1) / 5^4, 36 x 9 / 625 = 0.5184, a band of 1.96 x 0.72 = 1.41.
    assert dict(query(warehouse, "select customer_id, sampling_error from marts.customer_costs_monthly")) == {
        "acme": Decimal("1.41"), "globex": Decimal("1.88")}
    assert query(warehouse, "select feature, feature_cost from marts.feature_costs_monthly") == [
        ("unassigned", Decimal("4.8"))]
    reasons = dict(
        query(
            warehouse,
            "select reason, sum(unattributed_cost) from marts.unattributed_costs_daily group by 1",
        )
    )
    # 1/5 of the usage had no customer, a tag names 'nobody', a ticket names 'nobody' (15.00);
    # quarantined billing rows keep their readable cost.
    assert reasons == {"unknown_customer": Decimal("18.2"), "quarantined_input": Decimal(9)}
    assert sum(customers.values()) + sum(reasons.values()) == Decimal("19.5") + Decimal(45)
    # The bill is one day of March: acme's own budget of 100 expects 100 / 31 by then, so 36.10
    # spent burns 11.19 times too fast and the rest of the month at that day's cost forecasts
    # 31 x 36.10; globex's is its segment's (' SMB ' in budgets.csv is smb): 20 / 31 expected,
    # 1.20 spent burns at 1.86, under 2, but 31 x 1.20 = 37.20 is over the budget.
    burn = query(
        warehouse,
        "select customer_id, month_to_date_cost, budget_amount, budget_source, burn_rate,"
        " forecast_month_end_cost, is_alert, alert_reason from marts.customer_budget_burn order by 1",
    )
    assert burn == [
        ("acme", Decimal("36.1"), Decimal(100), "customer", Decimal("11.191"), Decimal("1119.1"), True,
         "burn_rate_and_forecast"),
        ("globex", Decimal("1.2"), Decimal(20), "segment", Decimal("1.86"), Decimal("37.2"), True,
         "forecast_over_budget"),
    ]


def test_each_broken_row_check_fails_naming_the_check(generated_build: BuiltInput, tmp_path: Path) -> None:
    """What makes a model's row valid is one test per model (valid_rows: one node instead of one
    per column and check). Breaking each kind of check makes it fail, a reference to a customer
    that customers does not hold included: each failing row, and each repeated key once, names
    the checks it breaks; the rows that break none are not listed."""
    warehouse = tmp_path / "broken.duckdb"
    shutil.copy(generated_build.warehouse, warehouse)
    daily = "marts.customer_costs_daily"
    with duckdb.connect(str(warehouse)) as con:
        mapped = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_name = 'int_kubernetes_usage_mapped'").fetchone()[0]
        ranked = "select rowid from {table} order by rowid limit 1 offset {offset}"
        for sql in (
            f"update {daily} set rule_name = null where rowid = ({ranked.format(table=daily, offset=0)})",
            f"update {daily} set allocation_method = 'by_guess' where rowid = ({ranked.format(table=daily, offset=1)})",
            f"insert into {daily} select * from {daily} where rowid = ({ranked.format(table=daily, offset=2)})",
            f"update {daily} set customer_id = 'no-such-customer' where rowid = ({ranked.format(table=daily, offset=3)})",
            f"update {mapped} set cpu_cores_charged = -1 where rowid = ({ranked.format(table=mapped, offset=0)})",
            (f"update {mapped} set customer_id = null, customer_source = 'namespace_map'"
             f" where rowid = ({ranked.format(table=mapped, offset=1)})"),
            ("update marts.tag_coverage_daily set tagged_share = 1.5"
             " where rowid = (select min(rowid) from marts.tag_coverage_daily)"),
        ):
            assert con.execute(sql).fetchone()[0] == 1, sql
    target = tmp_path / "dbt" / "target"
    tested = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "test", "--select",
         *[f"{model},test_name:valid_rows"
           for model in ("customer_costs_daily", "int_kubernetes_usage_mapped", "tag_coverage_daily")],
         "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR / "profiles"), "--target", "duckdb",
         "--target-path", str(target), "--log-path", str(tmp_path / "dbt" / "logs"),
         "--vars", json.dumps(resolve_rules(generated_build.input_dir, None, dialect="duckdb").to_dbt_vars())],
        capture_output=True, text=True, timeout=600, check=False, cwd=PROJECT_DIR,
        env={**os.environ, "CPC_WAREHOUSE": str(warehouse)},
    )
    assert tested.returncode == 1, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert re.search(r"Failure in test valid_rows_customer_costs_daily_\w+", tested.stdout), tested.stdout[-3000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert sorted((result["status"], result["failures"]) for result in results) == [
        ("fail", 1), ("fail", 2), ("fail", 4)], results
    with duckdb.connect(str(warehouse), read_only=True) as con:
        failing = sorted(
            sorted(row[0] for row in con.execute(f"select failed_checks from ({result['compiled_code']}) as failing_rows").fetchall())
            for result in results)
    repeated = "key (cost_date, customer_id, pool_id) repeated"
    assert failing == [
        ["allocation_method not accepted", "customer_id not in customers.customer_id", repeated, "rule_name is null"],
        ["cpu_cores_charged negative", "customer_id is null where required"],
        ["tagged_share outside [0, 1]"],
    ], failing


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing", "input folder not found"),
        ("no_billing", "billing"),
        ("bad_rule", "rule 'compute'"),
    ],
)
def test_user_errors_end_with_one_clear_line(tmp_path: Path, setup: str, expected: str) -> None:
    input_dir = tmp_path / "input"
    if setup != "missing":
        shutil.copytree(FIXTURES / "bad_input", input_dir)
    if setup == "no_billing":
        shutil.rmtree(input_dir / "billing")
    if setup == "bad_rule":
        (input_dir / "allocation.yml").write_text(
            "rules:\n  - name: compute\n    method: usage\n    match: \"lower(service_name) = 'x'\"\n"
        )
    done = run_cpc("build", "--input", str(input_dir), "--warehouse", str(tmp_path / "w.duckdb"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and expected in lines[0], done.stderr


def test_redelivered_and_restated_billing_counts_once(tmp_path: Path) -> None:
    """A month re-delivered in a newer folder with one charge restated replaces the old delivery;
    an identical copy of a file in the same folder counts once; nothing else changes. Both arrive
    after a first build, as they would: the incremental build supersedes the January rows it had
    kept; when the newer folder goes away again, they count again."""
    input_dir = tmp_path / "input"
    done = run_cpc(
        "generate", "--customers", "30", "--days", "35", "--seed", "5",
        "--format", "csv", "--out", str(input_dir),
    )
    assert done.returncode == 0, done.stderr
    original_bill = raw_generated_input_cost(input_dir)
    january, february = sorted((input_dir / "billing").glob("*.csv"))
    warehouse = tmp_path / "warehouse.duckdb"
    build_ok(input_dir, warehouse, "--quiet")
    assert not query(warehouse, "select 1 from marts.superseded_billing_rows")
    # Re-delivery of January, written later, with its first charge restated up by 100.
    with january.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["EffectiveCost"] = str(Decimal(rows[0]["EffectiveCost"]) + 100)
    redelivered = input_dir / "billing" / "redelivered" / january.name
    redelivered.parent.mkdir()
    with redelivered.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    stamp = january.stat().st_mtime
    os.utime(january, (stamp - 3600, stamp - 3600))
    os.utime(redelivered, (stamp, stamp))
    # An identical copy of February beside it.
    shutil.copyfile(february, february.with_name("copy-of-" + february.name))

    build_ok(input_dir, warehouse)
    allocated, unattributed = marts_total(warehouse)
    # The restated charge is a USD one (the first row: shared EC2 in us-east-1); the euro rows
    # convert exactly but for the pipeline's rounding to 10 decimals per charge-day.
    assert rows[0]["BillingCurrency"] == "USD"
    assert abs(allocated + unattributed - (original_bill + 100)) <= Decimal("1e-6")
    superseded = dict(query(
        warehouse,
        "select superseded_reason, count(*) from marts.superseded_billing_rows group by 1",
    ))
    assert superseded == {"restated": len(rows), "duplicate_file": _data_rows(february)}
    periods = query(
        warehouse,
        "select billing_period_start_date, max(delivery_count), min(delivery_id) from marts.billing_periods"
        " group by 1 order by 1",
    )
    assert periods[0][1] == 2 and periods[0][2].startswith("billing/redelivered")
    assert periods[1][1] == 1

    # The newer folder withdrawn: the first delivery of January counts again, to the cent.
    shutil.rmtree(redelivered.parent)
    build_ok(input_dir, warehouse, "--quiet")
    allocated, unattributed = marts_total(warehouse)
    assert abs(allocated + unattributed - original_bill) <= Decimal("1e-6")
    assert dict(query(warehouse, "select superseded_reason, count(*) from marts.superseded_billing_rows group by 1")) \
        == {"duplicate_file": _data_rows(february)}


def _data_rows(path: Path) -> int:
    with path.open(newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_the_generated_build_ran_every_unit_test(generated_build: BuiltInput) -> None:
    """dbt's unit tests (hand-computed fixtures of every model) ran, and passed, in this build."""
    text = " ".join(generated_build.build.stdout.split())  # the console wraps long lines
    found = re.search(r"Built .*? (\d+) unit_tests", text)
    assert found and int(found.group(1)) >= 39, text[-2000:]

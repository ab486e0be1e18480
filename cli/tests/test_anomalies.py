"""Cost anomalies (customer_cost_anomalies) on the shared generated build, scored against the
anomalies the generator injected (ground_truth_anomalies.csv)."""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from conftest import BuiltInput, build_ok, query, rows_only_in_one, run_cpc
from cpc import PROJECT_DIR, truth
from cpc.deliveries import rewrite_csv
from cpc.rules.project import project_vars
from cpc.warehouse import open_warehouse

ANOMALY_DOCS = PROJECT_DIR / "docs" / "anomalies.md"


@pytest.fixture(scope="module")
def score(generated_build: BuiltInput) -> truth.AnomalyScore:
    with open_warehouse(generated_build.warehouse) as run:
        return truth.score_anomalies(run, generated_build.input_dir / "ground_truth_anomalies.csv")


def _injected(generated_build: BuiltInput) -> dict[str, dict[str, str]]:
    with (generated_build.input_dir / "ground_truth_anomalies.csv").open(newline="") as handle:
        return {row["kind"]: row for row in csv.DictReader(handle)}


def test_finds_every_injected_anomaly_and_flags_no_noise(score: truth.AnomalyScore) -> None:
    print(f"precision {score.precision:.2f}, recall {score.recall:.2f}, "
          f"{score.true_flagged_days}/{score.flagged_days} flagged customer-days inside an anomaly")
    assert score.anomalies == 3
    assert score.recall >= truth.ANOMALY_BOUND, f"missed: {score.missed}"
    assert score.precision >= truth.ANOMALY_BOUND, f"flagged on noise: {score.false_episodes}"
    assert score.false_episodes == []


def test_spikes_page_and_the_drift_raises_tickets(generated_build: BuiltInput) -> None:
    injected = _injected(generated_build)
    severities = {
        kind: {
            row[0]
            for row in query(
                generated_build.warehouse,
                "select distinct anomaly_severity from marts.customer_cost_anomalies "
                f"where customer_id = '{anomaly['customer_id']}'",
            )
        }
        for kind, anomaly in injected.items()
    }
    assert severities == {"runaway": {"page"}, "blip": {"page"}, "drift": {"ticket"}}
    # The runaway's first day pages in its own scope, compute, as well as in the total.
    runaway = injected["runaway"]
    first = query(
        generated_build.warehouse,
        "select scope, severity, anomaly_day from marts.customer_cost_anomalies "
        f"where customer_id = '{runaway['customer_id']}' and cost_date = date '{runaway['first_date']}'",
    )
    assert sorted(first) == [("compute", "page", 1), ("total", "page", 1)]


def test_each_anomaly_is_one_episode(generated_build: BuiltInput) -> None:
    for kind, anomaly in _injected(generated_build).items():
        episodes = query(
            generated_build.warehouse,
            "select distinct anomaly_id from marts.customer_cost_anomalies "
            f"where customer_id = '{anomaly['customer_id']}'",
        )
        assert len(episodes) == 1, (kind, episodes)
    # The drift is found as a sustained rise: days a week's median score is high, below the
    # score that flags a day alone.
    drift = _injected(generated_build)["drift"]
    sustained = query(
        generated_build.warehouse,
        "select count(*) from marts.customer_cost_anomalies "
        f"where customer_id = '{drift['customer_id']}' and is_sustained and score < 6",
    )
    assert sustained[0][0] > 0


def test_one_episode_alerts_once(generated_build: BuiltInput) -> None:
    runaway = _injected(generated_build)["runaway"]
    episodes = query(
        generated_build.warehouse,
        "select anomaly_id, min(cost_date), max(cost_date), count(distinct cost_date), "
        "min(anomaly_first_date), max(anomaly_last_date) from marts.customer_cost_anomalies "
        f"where customer_id = '{runaway['customer_id']}' group by anomaly_id",
    )
    assert len(episodes) == 1, episodes
    anomaly_id, first, last, days, first_date, last_date = episodes[0]
    assert anomaly_id == f"{runaway['customer_id']}/{runaway['first_date']}"
    assert (first.isoformat(), last.isoformat()) == (runaway["first_date"], runaway["last_date"])
    assert (first, last) == (first_date, last_date) and days == 4


def test_new_customers_and_short_history_are_not_judged(generated_build: BuiltInput) -> None:
    statuses = dict(query(
        generated_build.warehouse,
        "select baseline_status, count(*) from intermediate.int_customer_cost_baselines group by 1",
    ))
    assert set(statuses) == {"judged", "new_customer", "insufficient_history"}
    # Customers whose window starts inside the ledger's are new for their first 14 days.
    late = query(
        generated_build.warehouse,
        """select baselines.baseline_status, count(*) from intermediate.int_customer_cost_baselines as baselines
        inner join marts.customers on baselines.customer_id = customers.customer_id
        where customers.active_from_date > (select min(cost_date) from marts.customer_costs_daily)
            and baselines.cost_date < customers.active_from_date + interval 14 day
        group by 1""",
    )
    assert dict(late).keys() == {"new_customer"}
    # Nothing is flagged without a judgement: every flagged row had its history.
    unjudged = query(
        generated_build.warehouse,
        """select count(*) from marts.customer_cost_anomalies as anomalies
        inner join intermediate.int_customer_cost_baselines as baselines
            on anomalies.customer_id = baselines.customer_id and anomalies.scope = baselines.scope
            and anomalies.cost_date = baselines.cost_date
        where baselines.baseline_status <> 'judged' or anomalies.history_days < 14""",
    )
    assert unjudged == [(0,)]


def test_report_prints_precision_and_recall(generated_build: BuiltInput, score: truth.AnomalyScore) -> None:
    done = run_cpc("report", "--warehouse", str(generated_build.warehouse),
                   "--input", str(generated_build.input_dir))
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert (f"Cost anomalies against ground_truth_anomalies.csv: precision {score.precision:.2f} "
            f"({score.episodes - len(score.false_episodes)} of {score.episodes} episodes") in text
    assert f"recall {score.recall:.2f} ({len(score.found)} of 3 found)" in text


def test_the_documented_settings_are_the_project_defaults() -> None:
    """docs/anomalies.md's settings table lists every cpc_anomaly_* var of dbt_project.yml with its
    default, so the method the docs describe is the one the models run."""
    defaults = {name: value for name, value in project_vars().items() if name.startswith("cpc_anomaly_")}
    documented = {
        match.group(1): yaml.safe_load(match.group(2))
        for match in re.finditer(r"^\| `(cpc_anomaly_\w+)` \| `?([^|`]+?)`? \|", ANOMALY_DOCS.read_text(), re.MULTILINE)
    }
    assert documented == defaults


def test_an_incremental_build_judges_each_scope_again_from_its_first_changed_day(
    generated_build: BuiltInput, tmp_path: Path
) -> None:
    """On DuckDB the baselines are incremental: restated bill lines judge again only the scopes they
    touch, from that day (reading back just the window those days need), and keep every earlier
    day. A scope whose first changed day is among the last seven reads each judged day's trailing
    days by a join, one changed earlier by windows: a line restated near the end and one early in
    the month, each tagged to its own customer, take one way each. Delivering the original bill
    again restores the full build's series, baselines and anomalies to the last bit."""
    first_day, last_day = query(generated_build.warehouse,
                                "select min(cost_date), max(cost_date) from marts.customer_costs_daily")[0]
    restated_days = {(last_day - timedelta(days=2)).isoformat(), (first_day + timedelta(days=9)).isoformat()}
    restated = tmp_path / "restated"
    shutil.copytree(generated_build.input_dir, restated)

    customers: set[str] = set()  # each line tagged to a customer of its own

    def add_five(day: str) -> Callable[[list[str], list[list[str]]], list[list[str]]]:
        def rewrite(header: list[str], rows: list[list[str]]) -> list[list[str]]:
            start, cost = header.index("ChargePeriodStart"), header.index("EffectiveCost")
            category, pricing = header.index("ChargeCategory"), header.index("PricingCategory")
            tags = header.index("Tags")
            line = next(row for row in rows if row[start].startswith(day) and row[category] == "Usage"
                        and row[pricing] == "Standard" and Decimal(row[cost]) > 0
                        and '"customer_id"' in row[tags] and row[tags] not in customers)
            customers.add(line[tags])
            line[cost] = str(Decimal(line[cost]) + 5)
            return rows
        return rewrite

    for day in sorted(restated_days):
        (billing,) = [path for path in (restated / "billing").glob("*.csv*") if day[:7] in path.name]
        rewrite_csv(billing, add_five(day))
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(generated_build.warehouse, warehouse)
    build_ok(restated, warehouse, "--quiet")
    first_changed = dict(query(warehouse, "select cast(first_changed_date as varchar), count(*)"
                                          " from intermediate.int_customer_cost_series_changes group by 1"))
    # The tagged lines change their customers' scopes only: a few, from each restated day.
    assert set(first_changed) == restated_days and sum(first_changed.values()) <= 10, first_changed
    assert rows_only_in_one(generated_build.warehouse, warehouse, "intermediate.int_customer_cost_baselines") != (0, 0)

    build_ok(generated_build.input_dir, warehouse, "--quiet")
    for table in ("intermediate.int_customer_cost_series", "intermediate.int_customer_cost_baselines",
                  "marts.customer_cost_anomalies"):
        assert rows_only_in_one(generated_build.warehouse, warehouse, table) == (0, 0), table

"""The semantic layer: `dbt parse` validates the semantic models and metrics, and MetricFlow's
answers on the built DuckDB warehouse agree with the marts they come from, to the cent.

MetricFlow's `mf` reads target/semantic_manifest.json of the project folder and opens the warehouse
through the dbt profile, so the test runs it as a user would, in a copy of the project (its own
target/) against a copy of the shared build's warehouse (the shared one stays read-only).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import BuiltInput, query
from cpc import PROJECT_DIR

CENT = Decimal("0.01")
BIN = Path(sys.executable).parent


@dataclass
class Semantic:
    project: Path
    warehouse: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "CPC_WAREHOUSE": str(self.warehouse),
                "DBT_PROFILES_DIR": str(self.project / "profiles")}

    def mf(self, metrics: str, group_by: str) -> list[dict[str, str]]:
        """`mf query --metrics METRICS --group-by GROUP_BY`, its rows as read from --csv."""
        out = self.project / "mf-query.csv"
        done = subprocess.run(
            [str(BIN / "mf"), "query", "--metrics", metrics, "--group-by", group_by, "--csv", str(out)],
            cwd=self.project, env=self.env(), capture_output=True, text=True, timeout=300, check=False,
        )
        assert done.returncode == 0 and out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
        with out.open(newline="") as handle:
            return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def semantic(generated_build: BuiltInput, tmp_path_factory: pytest.TempPathFactory) -> Semantic:
    root = tmp_path_factory.mktemp("semantic")
    project = root / "project"
    project.mkdir()
    for name in ("models", "macros", "seeds", "tests", "profiles"):
        shutil.copytree(PROJECT_DIR / name, project / name)
    for name in ("dbt_project.yml", ".dbtignore"):
        shutil.copy2(PROJECT_DIR / name, project)
    warehouse = root / "warehouse.duckdb"
    shutil.copy2(generated_build.warehouse, warehouse)
    setup = Semantic(project, warehouse)
    parsed = subprocess.run(
        [str(BIN / "dbt"), "parse", "--project-dir", str(project), "--profiles-dir", str(project / "profiles")],
        cwd=project, env=setup.env(), capture_output=True, text=True, timeout=600, check=False,
    )
    assert parsed.returncode == 0, parsed.stdout[-4000:] + parsed.stderr[-2000:]
    assert (project / "target" / "semantic_manifest.json").exists()
    return setup


def _month(text: str) -> str:
    return text[:7]  # '2024-01-01 00:00:00' or a date -> '2024-01'


def _cents(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value)).quantize(CENT)


def test_the_metrics_validate(semantic: Semantic) -> None:
    manifest = (semantic.project / "target" / "semantic_manifest.json").read_text()
    for metric in ("total_cost", "cost_per_active_customer", "unattributed_cost", "unattributed_share",
                   "support_cost", "cost_to_revenue", "bill_cost", "revenue", "customers_with_cost"):
        assert f'"name": "{metric}"' in manifest, metric


def test_total_and_per_customer_cost_by_segment_and_month_agree_with_segment_costs_monthly(
    semantic: Semantic, generated_build: BuiltInput,
) -> None:
    rows = semantic.mf("total_cost,customers_with_cost,cost_per_active_customer",
                       "customer__segment,metric_time__month")
    answered = {
        (row["customer__segment"], _month(row["metric_time__month"])):
            (_cents(row["total_cost"]), int(row["customers_with_cost"]), _cents(row["cost_per_active_customer"]))
        for row in rows
    }
    mart = {
        (segment, str(month)[:7]): (_cents(total), count, _cents(mean))
        for segment, month, total, count, mean in query(
            generated_build.warehouse,
            "select segment, month, total_cost, customer_count, mean_cost_per_customer "
            "from marts.segment_costs_monthly",
        )
    }
    assert len(mart) >= 4  # several segments in more than one month
    assert answered == mart


def test_unattributed_cost_and_share_by_month_agree_with_unattributed_costs_monthly(
    semantic: Semantic, generated_build: BuiltInput,
) -> None:
    rows = semantic.mf("unattributed_cost,bill_cost,unattributed_share", "metric_time__month")
    answered = {_month(row["metric_time__month"]): row for row in rows}
    mart = query(
        generated_build.warehouse,
        "select month, sum(unattributed_cost), max(month_total_cost), max(month_unattributed_share) "
        "from marts.unattributed_costs_monthly group by month",
    )
    assert mart and set(answered) == {str(month)[:7] for month, *_ in mart}
    for month, unattributed, total, share in mart:
        row = answered[str(month)[:7]]
        assert _cents(row["unattributed_cost"]) == _cents(unattributed), month
        assert _cents(row["bill_cost"]) == _cents(total), month
        assert 0 < share < 1
        assert float(row["unattributed_share"]) == pytest.approx(share, rel=1e-9), month


def test_support_cost_and_cost_to_revenue_by_customer_agree_with_customer_costs_monthly(
    semantic: Semantic, generated_build: BuiltInput,
) -> None:
    rows = semantic.mf("support_cost,revenue,cost_to_revenue", "customer,metric_time__month")
    answered = {(row["customer"], _month(row["metric_time__month"])): row for row in rows}
    mart = query(
        generated_build.warehouse,
        "select customer_id, month, support_cost, revenue, cost_to_revenue "
        "from marts.customer_costs_monthly",
    )
    with_support = [row for row in mart if row[2]]
    with_ratio = [row for row in mart if row[4] is not None]
    assert with_support and with_ratio
    for customer_id, month, support, revenue, ratio in mart:
        row = answered[(customer_id, str(month)[:7])]
        assert (_cents(row["support_cost"]) or Decimal(0)) == _cents(support), (customer_id, month)
        assert _cents(row["revenue"]) == _cents(revenue), (customer_id, month)
        if ratio is None:
            assert row["cost_to_revenue"] == "", (customer_id, month)
        else:
            assert float(row["cost_to_revenue"]) == pytest.approx(ratio, rel=1e-9), (customer_id, month)


def test_cost_by_category_adds_up_to_the_total(semantic: Semantic, generated_build: BuiltInput) -> None:
    rows = semantic.mf("total_cost", "customer_cost__cost_category")
    by_category = {row["customer_cost__cost_category"]: Decimal(row["total_cost"]) for row in rows}
    totals = query(
        generated_build.warehouse,
        "select sum(total_cost), sum(support_cost), sum(compute_cost) from marts.customer_costs_monthly",
    )[0]
    assert sum(by_category.values()).quantize(CENT) == _cents(totals[0])
    assert _cents(by_category["support"]) == _cents(totals[1])
    assert _cents(by_category["compute"]) == _cents(totals[2])

"""The same models on Apache Spark (dbt-spark, session mode): built from the same input, the marts
must hold the same figures as on DuckDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import build_ok, query, run_cpc

pytestmark = pytest.mark.spark

SPARK_FIGURES = """
import json, sys
from pathlib import Path
from cpc.warehouse import open_warehouse
with open_warehouse(Path(sys.argv[1]), "spark") as run:
    customers = run("select customer_id, cast(month as string) as month, cast(total_cost as string) as cost"
                    " from marts.customer_costs_monthly")
    reasons = run("select reason, cast(sum(unattributed_cost) as string) as cost"
                  " from marts.fct_unattributed_costs group by reason")
    ledger = run("select count(*) as n from marts.fct_customer_costs")
print(json.dumps({"customers": customers, "reasons": reasons, "ledger_rows": ledger[0]["n"]}))
"""


def test_spark_build_matches_duckdb(tmp_path: Path) -> None:
    input_dir = tmp_path / "input"
    done = run_cpc(
        "generate", "--customers", "25", "--days", "8", "--seed", "5", "--out", str(input_dir)
    )
    assert done.returncode == 0, done.stderr
    duck = tmp_path / "duck.duckdb"
    build_ok(input_dir, duck, "--quiet")
    spark_dir = tmp_path / "spark-warehouse"
    build_ok(input_dir, spark_dir, "--target", "spark", "--quiet")

    # A second process reads the Spark warehouse back: the metastore persisted the marts.
    read = subprocess.run(
        [sys.executable, "-c", SPARK_FIGURES, str(spark_dir)],
        capture_output=True,
        check=False,
        text=True,
        timeout=600,
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
    )
    assert read.returncode == 0, read.stderr[-3000:]
    spark = json.loads(read.stdout.strip().splitlines()[-1])

    duck_customers = {
        (c, str(m)): Decimal(v)
        for c, m, v in query(
            duck, "select customer_id, month, total_cost from marts.customer_costs_monthly"
        )
    }
    spark_customers = {
        (row["customer_id"], row["month"]): Decimal(row["cost"]) for row in spark["customers"]
    }
    assert spark_customers.keys() == duck_customers.keys()
    for key, value in duck_customers.items():
        assert abs(spark_customers[key] - value) <= Decimal("1e-6"), key
    duck_reasons = dict(
        query(
            duck,
            "select reason, sum(unattributed_cost) from marts.fct_unattributed_costs group by 1",
        )
    )
    spark_reasons = {row["reason"]: Decimal(row["cost"]) for row in spark["reasons"]}
    assert spark_reasons.keys() == duck_reasons.keys()
    for reason, value in duck_reasons.items():
        assert abs(spark_reasons[reason] - value) <= Decimal("1e-6"), reason
    assert (
        spark["ledger_rows"] == query(duck, "select count(*) from marts.fct_customer_costs")[0][0]
    )


def test_spark_runs_the_unit_tests_and_quarantines_like_duckdb(tmp_path: Path) -> None:
    """The bad-input fixture on Spark with the default rules, so dbt's unit tests of the models
    (hand-computed fixtures) run on Spark too; quarantined rows and customer totals match DuckDB's."""
    from conftest import FIXTURES

    spark_dir = tmp_path / "spark-warehouse"
    build_ok(FIXTURES / "bad_input", spark_dir, "--target", "spark", "--unit-tests", "--quiet")
    duck = tmp_path / "duck.duckdb"
    build_ok(FIXTURES / "bad_input", duck, "--quiet")
    script = (
        "import json, sys\nfrom pathlib import Path\nfrom cpc.warehouse import open_warehouse\n"
        "with open_warehouse(Path(sys.argv[1]), 'spark') as run:\n"
        "    rows = run('select input_name, source_row, quarantine_reason from marts.quarantined_rows')\n"
        "    costs = run('select customer_id, cast(sum(allocated_cost) as string) as cost"
        " from marts.fct_customer_costs group by customer_id')\n"
        "print(json.dumps({'rows': rows, 'costs': costs}))\n"
    )
    read = subprocess.run([sys.executable, "-c", script, str(spark_dir)], capture_output=True, text=True,
                          timeout=600, check=False, env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"})
    assert read.returncode == 0, read.stderr[-3000:]
    spark = json.loads(read.stdout.strip().splitlines()[-1])
    spark_rows = sorted((row["input_name"], row["source_row"], row["quarantine_reason"]) for row in spark["rows"])
    duck_rows = sorted(query(duck, "select input_name, source_row, quarantine_reason from marts.quarantined_rows"))
    assert spark_rows == duck_rows
    spark_costs = {row["customer_id"]: Decimal(row["cost"]) for row in spark["costs"]}
    duck_costs = dict(query(duck, "select customer_id, sum(allocated_cost) from marts.fct_customer_costs group by 1"))
    assert spark_costs == duck_costs

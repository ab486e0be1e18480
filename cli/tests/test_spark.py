"""The same models on Apache Spark (dbt-spark, session mode): built from the same input — generated
data with every allocation method, the bad-input fixture's billing file so that quarantine runs
too, and the hand-written AWS CUR 2.0, Azure MCA (EUR, converted with fx_rates.csv), GCP and OCI
exports — the marts must hold the same figures as on DuckDB. The Spark warehouse is built twice,
as daily builds would: first the generated month as delivered a day earlier (with a bill line the
final delivery restates, one it no longer has, and one of a day it keeps without any cost), then
the final input, which allocates only the days that changed (their partitions dropped and
overwritten). The Spark builds run on a standalone cluster (a
master and a worker started on 127.0.0.1 from pyspark's own scripts, as a user would start them);
a second process then reads the warehouse back in local mode from the metastore the builds left. dbt's unit tests run on
DuckDB in the suite's generated build; on Spark they take minutes, so this build skips them
(`cpc build --target spark --unit-tests` runs them)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyspark
import pytest
from conftest import FIXTURES, build_ok, one_line_error, query, run_cpc
from cpc.deliveries import deliver_through, rewrite_csv

pytestmark = pytest.mark.spark

LAST_DAY = date(2024, 1, 8)  # of the generated month (8 days)
#: A day the final input holds without any cost, which the earlier delivery gave a bill line.
EMPTIED_DAY = date(2024, 1, 10)

#: Builds each input folder (argv[3:]) in turn into one Spark warehouse (argv[2]) on the master
#: argv[1], in one process; prints the first build's summary as JSON.
SPARK_BUILDS = """
import json, sys
from pathlib import Path
from cpc.build import build
master, warehouse, *inputs = sys.argv[1:]
summaries = [build(Path(folder), Path(warehouse), target="spark", quiet=True, keep_spark=True, spark_master=master)
             for folder in inputs]
print(json.dumps({"allocated_days": summaries[0].allocated_days, "input_days": summaries[0].input_days}))
"""

SPARK_FIGURES = """
import json, sys
from pathlib import Path
from cpc.warehouse import open_warehouse
with open_warehouse(Path(sys.argv[1]), "spark") as run:
    figures = {
        "customers": run("select customer_id, cast(month as string) as month, cast(total_cost as string) as cost"
                         " from marts.customer_costs_monthly"),
        "reasons": run("select reason, cast(sum(unattributed_cost) as string) as cost"
                       " from marts.unattributed_costs_daily group by reason"),
        "methods": run("select allocation_method, cast(sum(allocated_cost) as string) as cost"
                       " from marts.customer_costs_daily group by allocation_method"),
        "quarantined": run("select input_name, source_file, source_row, quarantine_reason from marts.quarantined_rows"),
        "statements": run("select cast(month as string) as month, cast(sum(statement_cost) as string) as cost"
                          " from marts.customer_statements_monthly group by month"),
        "ledger_rows": run("select count(*) as n from marts.customer_costs_daily")[0]["n"],
        "allocated": run("select cast(cost_date as string) as day, reprocess_reason as reason"
                         " from intermediate.int_days_to_process"),
        "dropped_day_rows": sum(run(f"select count(*) as n from {table} where cost_date = date '2023-12-31'")[0]["n"]
                                for table in ("marts.customer_costs_daily", "marts.unattributed_costs_daily",
                                              "intermediate.int_cost_pools", "intermediate.int_pool_members",
                                              "intermediate.int_days_processed")),
        "emptied_day_rows": sum(run(f"select count(*) as n from {table} where cost_date = date '{sys.argv[2]}'")[0]["n"]
                                for table in ("marts.customer_costs_daily", "marts.unattributed_costs_daily",
                                              "intermediate.int_cost_pools", "intermediate.int_pool_members")),
        "tagged": run("select cast(cost_date as string) as day, cast(sum(tagged_cost) as string) as cost"
                      " from marts.tag_coverage_daily group by cost_date"),
        "european": run("select cast(cast(charge_period_start_at as date) as string) as day,"
                        " cast(effective_cost as string) as cost from staging.stg_focus__charges"
                        " where source_file = 'billing/eu/march-eu.csv'"),
    }
print(json.dumps(figures))
"""


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= Decimal("1e-6")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(log: Path, text: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while text not in (log.read_text(errors="replace") if log.exists() else ""):
        assert process.poll() is None, f"{log.name} ended:\n{log.read_text(errors='replace')[-3000:]}"
        assert time.monotonic() < deadline, f"no '{text}' in {log.name}:\n{log.read_text(errors='replace')[-3000:]}"
        time.sleep(0.5)


@contextmanager
def _standalone_cluster(folder: Path) -> Iterator[tuple[str, Path]]:
    """A Spark standalone master and one worker (2 cores) on 127.0.0.1, started with pyspark's
    bin/spark-class; yields the master's URL and its log."""
    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    folder.mkdir()
    master_log, worker_log = folder / "master.log", folder / "worker.log"
    processes: list[subprocess.Popen] = []
    try:
        with master_log.open("w") as out:
            processes.append(subprocess.Popen(
                [str(spark_class), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                 "--port", str(port), "--webui-port", str(_free_port())],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True))
        _wait_for(master_log, "I have been elected leader", processes[0])
        with worker_log.open("w") as out:
            processes.append(subprocess.Popen(
                [str(spark_class), "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                 "--webui-port", str(_free_port()), "--cores", "2", "--memory", "3g",
                 "--work-dir", str(folder / "work"), url],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True))
        _wait_for(worker_log, "Successfully registered with master", processes[1])
        yield url, master_log
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_spark_master_that_cannot_be_used_is_named_in_one_line(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens on it
    args = ["build", "--input", str(tmp_path), "--warehouse", str(tmp_path / "w")]
    refused = run_cpc(*args, "--target", "spark", "--spark-master", f"spark://127.0.0.1:{port}")
    assert one_line_error(refused).startswith(f"error: cannot reach the Spark master at spark://127.0.0.1:{port}: ")
    malformed = run_cpc(*args, "--target", "spark", "--spark-master", "yarn")
    assert one_line_error(malformed) == (
        "error: Spark master 'yarn': expected spark://HOST:PORT (a standalone cluster) or local[N]")
    duck = run_cpc(*args, "--spark-master", f"spark://127.0.0.1:{port}")
    assert one_line_error(duck) == "error: --spark-master applies to --target spark only"


def _earlier_delivery(input_dir: Path, out: Path) -> Path:
    """The generated month as delivered a day earlier, with a bill line of 2024-01-03 that the final
    delivery restates, a line of 2023-12-31 that it no longer has, and one of EMPTIED_DAY, a day
    the final input still has (other exports' exchange rates) but without any cost."""
    deliver_through(input_dir, out, LAST_DAY - timedelta(days=1))

    def restate_and_add(header: list[str], rows: list[list[str]]) -> list[list[str]]:
        start, end, cost = (header.index(name) for name in ("ChargePeriodStart", "ChargePeriodEnd", "EffectiveCost"))
        restated = next(row for row in rows if row[start].startswith("2024-01-03") and Decimal(row[cost]) > 0)
        restated[cost] = str(Decimal(restated[cost]) + Decimal("1.25"))
        dropped = list(rows[0])
        dropped[start], dropped[end] = "2023-12-31T00:00:00Z", "2023-12-31T01:00:00Z"
        emptied = list(restated)
        emptied[start], emptied[end] = f"{EMPTIED_DAY}T00:00:00Z", f"{EMPTIED_DAY}T01:00:00Z"
        return [*rows, dropped, emptied]  # appended: every other line keeps its row number

    rewrite_csv(next((out / "billing").glob("*.csv*")), restate_and_add)
    return out


def test_spark_build_matches_duckdb(tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    done = run_cpc("generate", "--customers", "25", "--days", "8", "--seed", "5", "--out", str(generated))
    assert done.returncode == 0, done.stderr
    # Each delivery lists its rows in date order, as an export that grows by appending does (a bill
    # line is identified by its file and row number).
    earlier = _earlier_delivery(generated, tmp_path / "earlier")
    input_dir = deliver_through(generated, tmp_path / "input", LAST_DAY)
    shutil.copy(FIXTURES / "bad_input" / "billing" / "march.csv", input_dir / "billing" / "march.csv")
    shutil.copytree(FIXTURES / "european_exports" / "billing", input_dir / "billing" / "eu")
    for folder in ("aws-cur2", "azure-mca", "gcp", "oci"):
        shutil.copytree(FIXTURES / "provider_exports" / folder, input_dir / "billing" / folder,
                        ignore=shutil.ignore_patterns("*.md"))
    with (input_dir / "fx_rates.csv").open("a") as rates:  # after the generated EUR rates (January)
        rates.write("2024-02-28,EUR,1.0825\n2024-03-06,EUR,1.0875\n2024-03-13,EUR,1.09\n2024-03-20,EUR,1.085\n"
                    "2024-03-27,EUR,1.08\n")
    duck = tmp_path / "duck.duckdb"
    build_ok(input_dir, duck, "--quiet")
    spark_dir = tmp_path / "spark-warehouse"
    with _standalone_cluster(tmp_path / "cluster") as (master, master_log):
        # Both deliveries in one process, as a scheduler keeping its Spark application would run
        # them (the second build then runs on a warm JVM); about 5 minutes on an idle 2-core machine.
        built = subprocess.run([sys.executable, "-c", SPARK_BUILDS, master, str(spark_dir), str(earlier), str(input_dir)],
                               capture_output=True, text=True, timeout=3600, check=False)
        assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
        first = json.loads(built.stdout.strip().splitlines()[-1])
        assert "Registering app cpc" in master_log.read_text()
    summary = json.loads((spark_dir / "dbt" / "target" / "cpc_build.json").read_text())
    assert summary["spark_master"] == master
    assert first["allocated_days"] == {"full build": first["input_days"]}
    # The unattributed-cost gate read the same months on both engines.
    duck_summary = json.loads((tmp_path / "duck.dbt" / "target" / "cpc_build.json").read_text())
    assert ([month["month"] for month in summary["unattributed_gate"]["months_over"]]
            == [month["month"] for month in duck_summary["unattributed_gate"]["months_over"]])

    # A second process reads the Spark warehouse back: the metastore persisted the marts.
    read = subprocess.run([sys.executable, "-c", SPARK_FIGURES, str(spark_dir), EMPTIED_DAY.isoformat()],
                          capture_output=True, text=True,
                          timeout=600, check=False, env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"})
    assert read.returncode == 0, read.stderr[-3000:]
    spark = json.loads(read.stdout.strip().splitlines()[-1])

    # The second build allocated only what changed, overwriting those days' partitions: the
    # restated day, the day the last delivery completes, the days only the other exports have
    # (new), and the day left without input (its partitions dropped). The other days of the
    # generated month kept their rows from the first build; the marts below equal DuckDB's full
    # build.
    allocated = {row["day"]: row["reason"] for row in spark["allocated"]}
    assert allocated.pop("2024-01-03") == "charges changed" and allocated.pop("2024-01-08") == "charges changed"
    assert allocated.pop("2023-12-31") == "no input left"
    # The day whose only bill line is gone still has input: allocated, its ledger partitions
    # dropped although the build writes no row for it.
    assert allocated.pop(EMPTIED_DAY.isoformat()) == "charges changed"
    kept = [(LAST_DAY - timedelta(days=n)).isoformat() for n in (1, 2, 3, 4, 6, 7)]
    assert not set(kept) & set(allocated) and set(allocated.values()) == {"new day"}, allocated
    assert summary["allocated_days"] == {"charges changed": 3, "no input left": 1, "new day": len(allocated)}
    assert spark["dropped_day_rows"] == 0 and spark["emptied_day_rows"] == 0
    assert not query(duck, f"select 1 from marts.customer_costs_daily where cost_date = '{EMPTIED_DAY}'"
                           f" union all select 1 from marts.unattributed_costs_daily where cost_date = '{EMPTIED_DAY}'")

    duck_customers = {(c, str(m)): v for c, m, v in query(
        duck, "select customer_id, month, total_cost from marts.customer_costs_monthly")}
    spark_customers = {(row["customer_id"], row["month"]): Decimal(row["cost"]) for row in spark["customers"]}
    assert spark_customers.keys() == duck_customers.keys()
    assert all(_close(spark_customers[key], value) for key, value in duck_customers.items())

    for name, sql in [
        ("reasons", "select reason, sum(unattributed_cost) from marts.unattributed_costs_daily group by 1"),
        ("methods", "select allocation_method, sum(allocated_cost) from marts.customer_costs_daily group by 1"),
        ("statements", "select cast(month as varchar), sum(statement_cost) from marts.customer_statements_monthly group by 1"),
        ("tagged", "select cast(cost_date as varchar), sum(tagged_cost) from marts.tag_coverage_daily group by 1"),
    ]:
        duck_rows = dict(query(duck, sql))
        spark_rows = {next(iter(row.values())): Decimal(row["cost"]) for row in spark[name]}
        assert spark_rows.keys() == duck_rows.keys(), name
        assert all(_close(spark_rows[key], value) for key, value in duck_rows.items()), name
    assert len(spark["methods"]) == 8  # the seven rule methods and direct (support tickets)

    duck_quarantined = sorted(query(
        duck, "select input_name, source_file, source_row, quarantine_reason from marts.quarantined_rows"))
    spark_quarantined = sorted(tuple(row.values()) for row in spark["quarantined"])
    # 6 FOCUS of the bad input, 1 FOCUS whose '1,000' reads two ways, 2 GCP, 1 OCI
    assert spark_quarantined == duck_quarantined and len(duck_quarantined) == 10
    assert any("reads two ways" in row[3] or "read two ways" in row[3] for row in duck_quarantined)
    # the European export: decimal commas and day-first dates read alike on both engines
    eu_costs = dict(query(duck, "select cast(charge_period_start_at as date), effective_cost "
                                "from staging.stg_focus__charges where source_file = 'billing/eu/march-eu.csv'"))
    assert {str(day): cost for day, cost in eu_costs.items()} == {
        "2024-03-04": Decimal("1000.5"), "2024-03-25": Decimal("2.25"), "2024-03-05": Decimal("1234567.8")}
    assert {row["day"]: Decimal(row["cost"]) for row in spark["european"]} == {
        "2024-03-04": Decimal("1000.5"), "2024-03-25": Decimal("2.25"), "2024-03-05": Decimal("1234567.8")}
    assert spark["ledger_rows"] == query(duck, "select count(*) from marts.customer_costs_daily")[0][0]

"""Shared fixtures: the project paths, a `cpc` runner, and one generated input built on DuckDB."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pytest
from cpc import PROJECT_DIR

FIXTURES = PROJECT_DIR / "tests" / "fixtures"
# Sessions the tests start themselves run their Python workers on this interpreter too (as
# cpc.spark arranges for cpc's own), whichever python3 comes first on PATH.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


#: The test files that take longest, longest first (from `--durations`). `make test` runs the files
#: in two workers, each file in one; a worker takes its next file when it finishes one, and each
#: starts with two: the first with the first and third files, the other with the second and fourth.
#: Starting with the longest files (the Spark builds hold one worker for a good part of the run)
#: keeps one worker from running a long file at the end while the other waits; the third is a
#: short one (the generator's), since it waits behind the Spark builds. pytest-xdist would otherwise
#: order the files by their number of tests (`make test` passes --no-loadscope-reorder to keep this
#: order).
LONGEST_FIRST = (
    "test_spark.py", "test_end_to_end.py", "test_generate.py", "test_incremental.py", "test_explain_and_history.py",
    "test_allocation_properties.py", "test_cli_errors.py", "test_cost_impact.py", "test_validate.py",
    "test_fuzz_inputs.py", "test_currency.py", "test_metrics.py", "test_unattributed_gate.py",
    "test_other_costs.py", "test_rules.py", "test_regional.py", "test_conventions.py", "test_docs.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the longest test files first (see LONGEST_FIRST); the rest keep their order."""
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@dataclass
class Completed:
    """A finished `cpc` run."""

    returncode: int
    stdout: str
    stderr: str


def run_cpc(*args: str, timeout: int = 900) -> Completed:
    """Run the `cpc` command in a fresh process (as a user would), capturing its output."""
    # No dbt log file: the suite reads dbt's results, not its debug log, and writing every
    # statement to it costs about 4 % of a small build. A test that reads the log starts the
    # process itself.
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", COLUMNS="160", DBT_LOG_LEVEL_FILE="none")
    done = subprocess.run(
        [sys.executable, "-m", "cpc.app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=PROJECT_DIR,
        check=False,
    )
    return Completed(done.returncode, done.stdout, done.stderr)


def build_ok(input_dir: Path, warehouse: Path, *extra: str, unit_tests: bool = False,
             timeout: int = 900) -> Completed:
    """`cpc build`, asserting success (the failure shows dbt's output).

    dbt's unit tests do not depend on the input, so they run in one build of the suite (the
    session's generated_build) rather than in every build: they take about 12 s a build.
    """
    if unit_tests:
        extra = (*extra, "--unit-tests")
    done = run_cpc("build", "--input", str(input_dir), "--warehouse", str(warehouse), *extra, timeout=timeout)
    assert done.returncode == 0, f"cpc build failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    return done


def one_line_error(done: Completed, path: Path | None = None) -> str:
    """Assert exit code 2 and exactly one non-empty stderr line, 'error: ...' naming the path and
    no traceback anywhere; returns the line."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, (done.returncode, done.stdout[-3000:], done.stderr[-3000:])
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), lines[0]
    if path is not None:
        assert str(path) in lines[0], lines[0]
    assert "Traceback" not in done.stderr + done.stdout
    return lines[0]


def query(warehouse: Path, sql: str) -> list[tuple]:
    """Rows of one query against a built DuckDB warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def rows_only_in_one(left: Path, right: Path, table: str, exclude: tuple[str, ...] = ()) -> tuple[int, int]:
    """Rows of a table found in one warehouse and not the other (EXCEPT ALL, both ways), leaving
    out the ``exclude`` columns."""
    columns = f"* exclude ({', '.join(exclude)})" if exclude else "*"
    counts = query(left, f"attach '{right}' as other (read_only);"
                         f" select (select count(*) from (select {columns} from {table} except all"
                         f" select {columns} from other.{table})),"
                         f" (select count(*) from (select {columns} from other.{table} except all"
                         f" select {columns} from {table}))")
    return counts[0]


@dataclass
class BuiltInput:
    input_dir: Path
    warehouse: Path
    build: Completed


@contextmanager
def _exclusively(lock_file: Path) -> Iterator[None]:
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def generated_build(tmp_path_factory: pytest.TempPathFactory) -> BuiltInput:
    """A generated input (200 customers x 40 days, csv.gz) built on DuckDB with its demo rules and
    dbt's unit tests. Built once per run: under pytest-xdist the workers share it (the first to
    need it builds it while the others wait); tests only read it."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent  # this run's folder, common to the workers
    else:
        shared = tmp_path_factory.mktemp("shared")
    root = shared / "generated"
    input_dir, warehouse, record = root / "input", root / "warehouse.duckdb", root / "build.json"
    with _exclusively(shared / "generated.lock"):
        if not record.exists():
            done = run_cpc("generate", "--customers", "200", "--days", "40", "--seed", "11",
                           "--out", str(input_dir))
            assert done.returncode == 0, done.stderr
            built = build_ok(input_dir, warehouse, unit_tests=True)
            record.write_text(json.dumps(asdict(built)))
    return BuiltInput(input_dir, warehouse, Completed(**json.loads(record.read_text())))


def land_and_stage(input_dir: Path, root: Path, *models: str) -> Path:
    """`cpc land` an input folder into ``root/warehouse.duckdb``, then `dbt build` just the given
    staging models and what they read (base models, seeds), with their data tests, without unit
    tests; returns the warehouse."""
    warehouse = root / "warehouse.duckdb"
    landed = run_cpc("land", "--input", str(input_dir), "--warehouse", str(warehouse))
    assert landed.returncode == 0, landed.stdout + landed.stderr
    built = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")), "build",
            "--select", *(f"+{model}" for model in models), "--indirect-selection", "cautious",
            "--exclude-resource-type", "unit_test",
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR / "profiles"),
            "--target", "duckdb",
            "--target-path", str(root / "dbt" / "target"), "--log-path", str(root / "dbt" / "logs"),
        ],
        capture_output=True, text=True, timeout=600, check=False, cwd=PROJECT_DIR,
        env={**os.environ, "CPC_WAREHOUSE": str(warehouse), "DBT_LOG_LEVEL_FILE": "none"},
    )
    assert built.returncode == 0, built.stdout[-5000:] + built.stderr[-2000:]
    return warehouse

"""`cpc build`: land an input folder, then run `dbt build` (models and every data test) on it.

The same function serves DuckDB (the default: one file) and Spark (a warehouse folder, dbt-spark in
session mode inside this process). dbt runs in-process through ``dbtRunner``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from cpc import PROJECT_DIR, landing, rules
from cpc.errors import UserError

TARGETS = ("duckdb", "spark")
RAW_SCHEMA = "cpc_raw"
#: DuckDB settings while landing: the same memory bound as the dbt profile (DuckDB spills beyond it).
LANDING_CONFIG = {"memory_limit": "3GB"}


@dataclass
class BuildResult:
    """What a build did: landing counts, dbt node outcomes and timings."""

    target: str
    warehouse: Path
    landed_rows: dict[str, int] = field(default_factory=dict)
    rules_source: str = ""
    rules_hash: str = ""
    node_counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def dbt_paths(warehouse: Path, target: str) -> tuple[Path, Path]:
    """dbt's target and log folders, kept beside the warehouse so that builds do not collide."""
    base = warehouse if target == "spark" else warehouse.parent
    stem = "dbt" if target == "spark" else f"{warehouse.stem}.dbt"
    return base / stem / "target", base / stem / "logs"


def run_dbt(
    args: list[str],
    *,
    warehouse: Path,
    target: str,
    dbt_vars: dict[str, Any] | None = None,
    quiet: bool = False,
) -> Any:
    """Invoke dbt in-process on this project; returns dbt's result object (raises UserError on failure)."""
    from dbt.cli.main import dbtRunner

    target_path, log_path = dbt_paths(warehouse, target)
    command = [
        *args,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR / "profiles"),
        "--target", target,
        "--target-path", str(target_path),
        "--log-path", str(log_path),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    if quiet:
        command = ["--quiet", *command]
    with _environment(CPC_WAREHOUSE=str(warehouse) if target == "duckdb" else None):
        result = dbtRunner().invoke(command)
    if not result.success:
        first_row = _duckdb_first_row(warehouse) if target == "duckdb" else None
        raise UserError(_failure_line(args[0], result, first_row))
    return result


def _duckdb_first_row(warehouse: Path) -> Callable[[str], str | None]:
    """A function giving a failing test's first row as 'column=value, ...' (None if unreadable)."""

    def first_row(compiled_sql: str) -> str | None:
        try:
            # dbt-duckdb may still hold the file in this process: open it with no options.
            with duckdb.connect(str(warehouse)) as con:
                cursor = con.execute(f"select * from ({compiled_sql}) as failing_rows limit 1")
                row = cursor.fetchone()
                names = [column[0] for column in cursor.description or []]
        except duckdb.Error:
            return None
        if row is None:
            return None
        shown = ", ".join(f"{name}={value}" for name, value in zip(names, row, strict=False))
        return " ".join(shown.split())[:240]

    return first_row


def _failure_line(
    verb: str, result: Any, first_row: Callable[[str], str | None] | None = None
) -> str:
    """One line saying which dbt nodes failed and how (with the first failing test's first row,
    when first_row can read it: what is wrong, not only where)."""
    if result.exception is not None:
        text = " ".join(str(result.exception).split())
        return f"dbt {verb} failed: {text[:400]}"
    failed = []
    for node_result in getattr(result.result, "results", []) or []:
        status = str(getattr(node_result, "status", "")).lower()
        if status in ("error", "fail", "runtime error"):
            name = node_result.node.name
            failures = getattr(node_result, "failures", None)
            detail = f"{failures} failing rows" if failures else " ".join(str(node_result.message or status).split())[:160]
            failed.append(f"{name} ({detail})")
    if not failed:
        return f"dbt {verb} failed (see the dbt log above)"
    more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    line = f"dbt {verb} failed: {len(failed)} node(s) failed: " + "; ".join(failed[:5]) + more
    example = _first_failing_row(result, first_row) if first_row else None
    return f"{line}; first failing row of {example}" if example else line


def _first_failing_row(result: Any, first_row: Callable[[str], str | None]) -> str | None:
    """'<test>: column=value, ...' for the first test that returned failing rows."""
    for node_result in getattr(result.result, "results", []) or []:
        status = str(getattr(node_result, "status", "")).lower()
        compiled = getattr(node_result.node, "compiled_code", None)
        if status == "fail" and getattr(node_result, "failures", None) and compiled:
            row = first_row(compiled)
            if row:
                return f"{node_result.node.name}: {row}"
    return None


@contextmanager
def _environment(**values: str | None) -> Iterator[None]:
    old = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is not None:
                os.environ[key] = value
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def landed_references(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The telemetry metrics, customer ids and segments in the landed input, normalized as staging
    normalizes them, so rules naming something that is not there fail before dbt runs."""
    def values(sql: str) -> set[str]:
        return {row[0] for row in con.execute(sql).fetchall() if row[0]}

    return {
        "metrics": values(f"select distinct lower(trim(metric)) from {RAW_SCHEMA}.usage"),
        "customers": values(f"select distinct trim(customer_id) from {RAW_SCHEMA}.customers"),
        "segments": values(
            f"select distinct lower(replace(trim(segment), ' ', '-')) from {RAW_SCHEMA}.customers"
        ),
    }


def resolve_rules(input_dir: Path | None, rules_path: Path | None, dialect: str) -> rules.RuleSet:
    """The rules file named on the command line, else the input folder's allocation.yml, else the defaults."""
    if rules_path is not None:
        if not rules_path.is_file():
            raise UserError(f"{rules_path}: rules file not found")
        return rules.load_rules(rules_path, dialect=dialect)
    if input_dir is not None and (input_dir / "allocation.yml").is_file():
        return rules.load_rules(input_dir / "allocation.yml", dialect=dialect)
    return rules.load_rules(None, dialect=dialect)


def build(
    input_dir: Path,
    warehouse: Path,
    target: str = "duckdb",
    rules_path: Path | None = None,
    quiet: bool = False,
    say: Callable[[str], None] = print,
    keep_spark: bool = False,
    unit_tests: bool = True,
) -> BuildResult:
    """Land ``input_dir`` into ``warehouse`` and run ``dbt build`` with every test.

    Raises UserError (one line) for a missing or malformed input, bad rules, or a failing test.
    With ``keep_spark`` the Spark session stays open for the caller (e.g. to print a report).
    dbt's unit tests (hand-computed fixtures that test the project's SQL, whatever the rules) run
    too unless ``unit_tests`` is False.
    """
    if target not in TARGETS:
        raise UserError(f"unknown target '{target}' (choose one of: {', '.join(TARGETS)})")
    input_dir = input_dir.expanduser().resolve()
    warehouse = warehouse.expanduser().resolve()
    if not input_dir.is_dir():
        raise UserError(f"{input_dir}: input folder not found")
    ruleset = resolve_rules(input_dir, rules_path, dialect=target)
    result = BuildResult(target=target, warehouse=warehouse, rules_source=ruleset.source,
                         rules_hash=ruleset.content_hash)

    started = time.perf_counter()
    if target == "duckdb":
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(warehouse), config=LANDING_CONFIG) as con:
            summary = landing.land(input_dir, con, schema=RAW_SCHEMA)
            rules.check_references(ruleset, **landed_references(con), where=ruleset.source)
    else:
        warehouse.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(config=LANDING_CONFIG) as con:
            summary = landing.land(input_dir, con, schema=RAW_SCHEMA)
            rules.check_references(ruleset, **landed_references(con), where=ruleset.source)
            parquet = landing.export_parquet(con, warehouse / "landed", schema=RAW_SCHEMA)
    result.landed_rows = dict(summary.table_rows)
    result.seconds["land"] = time.perf_counter() - started
    for line in summary.describe():
        say(line)

    spark_session = None
    if target == "spark":
        from cpc import spark as spark_engine

        started = time.perf_counter()
        spark_session = spark_engine.spark_session(warehouse)
        spark_engine.register_parquet_tables(spark_session, parquet, schema=RAW_SCHEMA)
        result.seconds["spark_start"] = time.perf_counter() - started

    started = time.perf_counter()
    try:
        verb = ["build"] if unit_tests else ["build", "--exclude-resource-type", "unit_test"]
        dbt_result = run_dbt(verb, warehouse=warehouse, target=target,
                             dbt_vars=ruleset.to_dbt_vars(), quiet=quiet)
    finally:
        result.seconds["dbt_build"] = time.perf_counter() - started
        if spark_session is not None and not keep_spark:
            from cpc import spark as spark_engine

            spark_engine.stop(spark_session)
    for node_result in getattr(dbt_result.result, "results", []) or []:
        kind = node_result.node.resource_type
        key = str(getattr(kind, "value", kind))
        result.node_counts[key] = result.node_counts.get(key, 0) + 1
    _write_summary(result)
    return result


def _write_summary(result: BuildResult) -> None:
    """Record what the build did (rows landed, rules, timings) as JSON beside dbt's run results."""
    target_path, _ = dbt_paths(result.warehouse, result.target)
    summary = {
        "target": result.target,
        "warehouse": str(result.warehouse),
        "landed_rows": result.landed_rows,
        "rules_source": result.rules_source,
        "rules_hash": result.rules_hash,
        "node_counts": result.node_counts,
        "seconds": {stage: round(seconds, 3) for stage, seconds in result.seconds.items()},
    }
    (target_path / "cpc_build.json").write_text(json.dumps(summary, indent=2))

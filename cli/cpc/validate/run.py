"""Run the expectation suites with Great Expectations and write its Data Docs.

GX has no DuckDB route here, so each frame is read with a read-only DuckDB connection (after
dbt: DuckDB allows one writer) and validated with GX's pandas data source in an ephemeral
context: one data asset, suite, validation definition and checkpoint per frame, the frame
given as the batch's ``dataframe`` parameter. GX is imported here only: it is slow to import.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from cpc.errors import UserError
from cpc.validate import docs
from cpc.validate.suites import CHECKS, FRAMES, Check, Frame
from cpc.warehouse import open_duckdb_reader

#: Failing rows printed per failed expectation (Data Docs show up to SAMPLE_IN_DOCS).
SAMPLE_PRINTED = 3
SAMPLE_IN_DOCS = 20


@dataclass(frozen=True)
class Result:
    """One expectation's result: where, what was expected and, when it failed, a sample of the
    failing rows."""

    success: bool
    suite: str
    table: str
    column: str
    says: str
    critical: bool
    unexpected: int
    rows: int
    sample: list[dict[str, Any]]

    def sample_text(self, rows: int) -> list[str]:
        """The first failing rows, each as ``name=value, ...``."""
        return [", ".join(f"{name}={_text(value)}" for name, value in row.items())
                for row in self.sample[:rows]]

    def line(self) -> str:
        level = "critical" if self.critical else "warning"
        shown = "; ".join(self.sample_text(SAMPLE_PRINTED))
        more = " ..." if self.unexpected > min(len(self.sample), SAMPLE_PRINTED) else ""
        return (f"{level}: {self.table} column {self.column} ({self.suite}): {self.says} — "
                f"{self.unexpected} of {self.rows} rows fail, e.g. {shown}{more}")


@dataclass
class Outcome:
    """What a validation found."""

    expectations: int
    frames: int
    results: list[Result] = field(default_factory=list)
    docs_index: Path | None = None
    seconds: float = 0.0

    @property
    def failures(self) -> list[Result]:
        return [result for result in self.results if not result.success]

    @property
    def critical(self) -> list[Result]:
        return [result for result in self.failures if result.critical]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        stamp = value.isoformat()
        return stamp[:10] if stamp.endswith("T00:00:00") else stamp
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def default_docs_dir(warehouse: Path) -> Path:
    """Where Data Docs go without --docs: a folder beside the warehouse, named after it."""
    return warehouse.parent / f"{warehouse.stem}-validation"


def read_frames(
    con: duckdb.DuckDBPyConnection, settings: dict[str, float], warehouse: Path
) -> dict[str, Any]:
    """Every frame as a pandas DataFrame (read-only queries of the warehouse)."""
    frames = {}
    for frame in FRAMES:
        try:
            frames[frame.name] = con.execute(frame.sql(settings)).fetchdf()
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise UserError(f"{warehouse}: not built, or by another version ({first}); "
                            "build it with cpc build") from exc
    return frames


def _import_gx() -> Any:
    """Import GX quietly: no analytics, and no warnings of optional engines it probes."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
    return gx


def _context(gx: Any, docs_dir: Path) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={docs.SITE: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }},
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _suite(gx: Any, frame: Frame, checks: list[Check], settings: dict[str, float],
           lookups: dict[str, Any]) -> Any:
    from great_expectations.expectations.registry import get_expectation_impl

    suite = gx.ExpectationSuite(name=frame.suite_name, meta={"description": frame.description})
    for check in checks:
        kwargs = {name: value for name, value in check.kwargs(settings, lookups).items()
                  if value is not None}
        expectation = get_expectation_impl(check.expectation)(
            **kwargs, meta={"critical": check.critical, "says": check.says, "table": frame.table})
        suite.add_expectation(expectation)
    return suite


def _results(frame: Frame, run_result: Any) -> list[Result]:
    results = []
    for validation in run_result.run_results.values():
        for result in validation.results:
            config = result.expectation_config
            kwargs = config.kwargs
            column = kwargs.get("column") or f"{kwargs.get('column_A')} vs {kwargs.get('column_B')}"
            outcome = result.result or {}
            if result.exception_info and result.exception_info.get("raised_exception"):
                message = result.exception_info.get("exception_message", "")
                raise UserError(f"{frame.suite_name}: the expectation on {column} could not run "
                                f"({message})")
            # The key columns first, then the value that failed.
            sample = [{**{name: row[name] for name in frame.key if name in row}, **row}
                      for row in outcome.get("partial_unexpected_index_list") or []] or [
                {column: value} for value in outcome.get("partial_unexpected_list") or []]
            results.append(Result(
                success=bool(result.success), suite=frame.suite_name, table=frame.table, column=column,
                says=config.meta.get("says", config.type), critical=bool(config.meta.get("critical")),
                unexpected=int(outcome.get("unexpected_count") or 0),
                rows=int(outcome.get("element_count") or 0),
                sample=[] if result.success else list(sample)))
    return results


def validate(
    warehouse: Path,
    docs_dir: Path | None,
    settings: dict[str, float],
    say: Callable[[str], None] | None = None,
) -> Outcome:
    """Validate a built DuckDB warehouse; write Data Docs into ``docs_dir`` (default beside it)."""
    started = time.perf_counter()
    warehouse = warehouse.expanduser().resolve()
    with open_duckdb_reader(warehouse, say=say) as con:
        frames = read_frames(con, settings, warehouse)
    docs_dir = (docs_dir or default_docs_dir(warehouse)).expanduser().resolve()
    docs.prepare(docs_dir)
    customers = frames["customers"]
    lookups = {"customer_keys": sorted(
        set(customers.loc[customers["quarantine_reason"].isna(), "customer_key"].dropna()))}

    gx = _import_gx()
    context = _context(gx, docs_dir)
    source = context.data_sources.add_pandas("warehouse")
    outcome = Outcome(expectations=len(CHECKS), frames=len(FRAMES))
    for frame in FRAMES:
        checks = [check for check in CHECKS if check.frame == frame.name]
        if not checks:
            continue
        batch = source.add_dataframe_asset(frame.suite_name).add_batch_definition_whole_dataframe(
            "whole frame")
        suite = context.suites.add(_suite(gx, frame, checks, settings, lookups))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=frame.suite_name, data=batch, suite=suite))
        checkpoint = context.checkpoints.add(gx.Checkpoint(
            name=frame.suite_name, validation_definitions=[definition],
            result_format={"result_format": "SUMMARY",
                           "unexpected_index_column_names": list(frame.key),
                           "partial_unexpected_count": SAMPLE_IN_DOCS}))
        result = checkpoint.run(batch_parameters={"dataframe": frames[frame.name]})
        outcome.results.extend(_results(frame, result))
    context.build_data_docs(site_names=[docs.SITE])
    outcome.docs_index = docs.finish(docs_dir, outcome)
    outcome.seconds = time.perf_counter() - started
    return outcome

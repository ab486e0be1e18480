"""`cpc build`: land an input folder, then run `dbt build` (models and every data test) on it.

The same function serves DuckDB (the default: one file) and Spark (a warehouse folder, dbt-spark in
session mode inside this process). dbt runs in-process through ``dbtRunner``.

A build holds the warehouse's lock (:mod:`cpc.lock`) from before landing to the end, and records
itself in the warehouse (``running``, then ``success``, ``failed`` or ``interrupted``; see
:mod:`cpc.warehouse`). A DuckDB warehouse is built in a working copy beside it and published in
one step when the build succeeds (:mod:`cpc.publish`), so that no reader sees marts a build left
half-done and no reader gets in a build's way.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from cpc import PROJECT_DIR, landing, lock, parse_cache, privacy, rules
from cpc import publish as publishing
from cpc import warehouse as store
from cpc.errors import UserError

TARGETS = ("duckdb", "spark")
#: How many of the slowest dbt nodes a build's summary names.
SLOWEST = 5
#: Set by the SIGINT handler a build installs (see _noting_interrupts).
_INTERRUPTED = threading.Event()
RAW_SCHEMA = "cpc_raw"
#: DuckDB settings while landing: the same memory bound as the dbt profile (DuckDB spills beyond it).
LANDING_CONFIG = {"memory_limit": "8GB"}
#: How many reasons the unattributed-cost gate names for a month over the limit.
GATE_REASONS = 3


@dataclass
class BuildResult:
    """What a build did: landing counts, dbt node outcomes and timings."""

    target: str
    warehouse: Path
    landed_rows: dict[str, int] = field(default_factory=dict)
    #: The input files landed: read, kept unchanged from the last landing, and of those read, the
    #: ones re-delivered with records appended, of which only the new records were read
    #: (cpc.landed_files).
    landed_files: dict[str, int] = field(default_factory=dict)
    rules_source: str = ""
    rules_hash: str = ""
    node_counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    #: One line per data test that warned (e.g. charges outside their billing period).
    warnings: list[str] = field(default_factory=list)
    #: The dbt nodes that took longest, slowest first: (name, seconds).
    slowest: list[tuple[str, float]] = field(default_factory=list)
    #: The Spark master the build ran on (Spark only).
    spark_master: str | None = None
    #: The unattributed-cost gate: the limit, whether --strict, and the months over it.
    unattributed_gate: dict[str, Any] = field(default_factory=dict)
    #: The days the build allocated, by reason (int_days_to_process; DuckDB), and how many days
    #: have an input to allocate.
    allocated_days: dict[str, int] = field(default_factory=dict)
    input_days: int | None = None
    #: Days whose telemetry changed outside the lookback window, not allocated again
    #: (int_days_held_back; DuckDB), as YYYY-MM-DD.
    held_back_days: list[str] = field(default_factory=list)
    #: Each data test's outcome, by dbt unique id: its status (pass, warn) and failing rows.
    test_outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``privacy:`` of the rules: pseudonymize_customers and the salt's fingerprint (never the salt).
    privacy: dict[str, Any] = field(default_factory=lambda: {"pseudonymize_customers": False})

    def allocation_line(self) -> str | None:
        """'allocated 2 of 90 days (new day 1, charges changed 1)', or None when not known."""
        if self.input_days is None:
            return None
        done = sum(self.allocated_days.values())
        why = ", ".join(f"{reason} {count}" for reason, count in sorted(self.allocated_days.items()))
        return f"allocated {done} of {self.input_days} days" + (f" ({why})" if why else ": no input changed")


def dbt_paths(warehouse: Path, target: str) -> tuple[Path, Path]:
    """dbt's target and log folders, kept beside the warehouse so that builds do not collide."""
    base = warehouse if target == "spark" else warehouse.parent
    stem = "dbt" if target == "spark" else f"{warehouse.stem}.dbt"
    return base / stem / "target", base / stem / "logs"


def start_importing_dbt() -> None:
    """Import dbt's runner in a background thread, so that its import (about 2 s of Python) overlaps
    what a build does before dbt runs: copying the warehouse, landing (DuckDB's own threads).
    :func:`run_dbt` then finds it imported, or waits for the import to end. An import that fails
    is left for run_dbt's own import to report."""
    if "dbt.cli.main" in sys.modules:
        return

    def load() -> None:
        with suppress(Exception):
            importlib.import_module("dbt.cli.main")

    threading.Thread(target=load, name="import-dbt", daemon=True).start()


def run_dbt(
    args: list[str],
    *,
    warehouse: Path,
    target: str,
    settings: dict[str, Any] | None = None,
    quiet: bool = False,
    published: Path | None = None,
    on_event: Callable[[Any], None] | None = None,
) -> Any:
    """Invoke dbt in-process on this project; returns dbt's result object (raises UserError on failure).

    ``settings``: the project settings to build with (:meth:`cpc.rules.RuleSet.to_dbt_vars`), given
    to the models in the environment variable CPC_SETTINGS (macro ``setting``), not as ``--vars``:
    dbt parses the whole project again when its vars change, and the parse never reads that
    variable. Without them, dbt_project.yml's vars.
    ``published``: the warehouse whose dbt folders to use when ``warehouse`` is a build's working
    file (see :mod:`cpc.publish`). ``on_event``: also called with each of dbt's events (progress)."""
    from dbt.cli.main import dbtRunner

    warehouse = warehouse.absolute()
    target_path, log_path = (path.absolute() for path in dbt_paths(published or warehouse, target))
    command = [
        *args,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR / "profiles"),
        "--target", target,
        "--target-path", str(target_path),
        "--log-path", str(log_path),
    ]
    if quiet:
        command = ["--quiet", *command]
    # DuckDB builds run from the warehouse's folder with its file name as the profile's path, so
    # that dbt's parse of the project, which depends on that path, carries over to every file of
    # the same name (cpc.parse_cache): every build's working file is cpc.duckdb (cpc.publish).
    duckdb_target = target == "duckdb"
    cached_parse = parse_cache.slot(target, warehouse.name if duckdb_target else "")
    parse_cache.reuse(cached_parse, target_path)
    with _working_directory(warehouse.parent if duckdb_target else None):
        try:
            with _environment(CPC_WAREHOUSE=warehouse.name if duckdb_target else None,
                              CPC_DUCKDB_FSYNC_MODE=publishing.WORKING_FSYNC_MODE if duckdb_target else None,
                              CPC_SETTINGS=json.dumps(settings, sort_keys=True) if settings else None):
                callbacks = [_no_errors_printed_after_interrupt, *([on_event] if on_event else [])]
                result = dbtRunner(callbacks=callbacks).invoke(command)
        finally:
            if duckdb_target:
                _release_duckdb()  # before leaving the folder: DuckDB closes its files by that path
    parse_cache.keep(target_path, cached_parse)
    if _caused_by_interrupt(result.exception):
        # dbtRunner catches Ctrl-C (after cancelling its queries) and returns it as the result.
        raise KeyboardInterrupt
    if not result.success:
        if target == "duckdb" and "Could not set lock on file" in str(result.exception or ""):
            # Another process opened the file after landing (a notebook, a SQL client).
            raise store.duckdb_error(warehouse, result.exception, writing=True)
        first_row = _duckdb_first_row(warehouse) if target == "duckdb" else None
        raise UserError(_failure_line(args[0], result, first_row))
    return result


def _caused_by_interrupt(exc: BaseException | None) -> bool:
    """Whether an exception is, or was raised while handling, a KeyboardInterrupt (libraries
    under dbt sometimes catch it and raise their own error instead)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


@contextmanager
def _noting_interrupts() -> Iterator[Callable[[], bool]]:
    """Note a Ctrl-C (SIGINT) during the block; yields a function telling whether one came.

    The KeyboardInterrupt is raised as usual, but dbt (or a library under it) may catch it and
    return, or raise, something else: the note is what says the build was stopped. Only in the
    main thread, and only where Python's own handler is installed (not where SIGINT is ignored).
    """
    _INTERRUPTED.clear()
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield lambda: False
        return
    _note_interrupts_over(previous)
    try:
        yield _INTERRUPTED.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


def _note_interrupts_over(handler: Any) -> None:
    """Install a SIGINT handler that notes the signal, then calls ``handler`` (Python's, which
    raises KeyboardInterrupt, or the one a SparkContext installs, which also cancels its jobs)."""
    if getattr(handler, "_notes_interrupts", False) or not callable(handler):
        return

    def note(signum: int, frame: Any) -> None:
        _INTERRUPTED.set()
        handler(signum, frame)

    note._notes_interrupts = True  # type: ignore[attr-defined]
    signal.signal(signal.SIGINT, note)


def _no_errors_printed_after_interrupt(_event: Any) -> None:
    """A dbtRunner callback: once the build is interrupted, dbt's console log leaves out
    error-level events (its "Encountered an error" and the KeyboardInterrupt's traceback); the
    CLI says in one line that the build was stopped. (Its log file keeps everything.)"""
    from dbt_common.events.event_manager_client import get_event_manager

    for logger in getattr(get_event_manager(), "loggers", []):
        if getattr(logger, "name", "") != "stdout_log" or getattr(logger, "_cpc_quiet", False):
            continue
        original = logger.filter

        def keep(msg: Any, original: Callable[[Any], bool] = original) -> bool:
            if _INTERRUPTED.is_set() and getattr(msg.info, "level", "") == "error":
                return False
            return original(msg)

        logger.filter = keep
        logger._cpc_quiet = True


def _release_duckdb() -> None:
    """Close the database dbt-duckdb keeps open in this process after an invocation.

    Otherwise the file stays locked (DuckDB allows one writing process) until this process
    exits, after the build has let go of the warehouse's lock: a build waiting for this one
    would then fail to open it. (dbt-duckdb opens a new one at its next invocation.)
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        if environment is not None:
            DuckDBConnectionManager._ENV = None
            with suppress(Exception):  # already closed, or closing during Ctrl-C
                environment.close()


def _duckdb_first_row(warehouse: Path) -> Callable[[str], str | None]:
    """A function giving a failing test's first row as 'column=value, ...' (None if unreadable)."""

    def first_row(compiled_sql: str) -> str | None:
        try:
            # Timestamps read as the dbt profile reads them (its TimeZone setting).
            con = duckdb.connect(str(warehouse), config={"TimeZone": "UTC"})
        except duckdb.Error:
            try:  # a handle open in this process with other settings: attach to it as it is
                con = duckdb.connect(str(warehouse))
            except duckdb.Error:
                return None
        try:
            cursor = con.execute(f"select * from ({compiled_sql}) as failing_rows limit 1")
            row = cursor.fetchone()
            names = [column[0] for column in cursor.description or []]
        except duckdb.Error:
            return None
        finally:
            con.close()
        if row is None:
            return None
        shown = ", ".join(f"{name}={value}" for name, value in zip(names, row, strict=False))
        return " ".join(shown.split())[:240]

    return first_row


#: What dbt says when an incremental model's new columns differ from its table's (on_schema_change
#: 'fail'): the project changed the model since the warehouse was built.
_SCHEMA_OUT_OF_SYNC = "source and target schemas on this incremental model are out of sync"


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
            if _is_unit_test(node_result.node) and failures:
                # Its query returns the model's output, not failing rows: dbt prints the diff.
                detail = "the model's output differs from the expected rows; dbt's diff is above"
            elif failures:
                detail = f"{failures} failing rows"
            elif _SCHEMA_OUT_OF_SYNC in " ".join(str(node_result.message).split()):
                detail = ("its table in the warehouse has the columns of an earlier version of the project; "
                          "run cpc build --full-refresh to rebuild it")
            else:
                detail = " ".join(str(node_result.message or status).split())[:160]
            failed.append(f"{name} ({detail})")
    if not failed:
        return f"dbt {verb} failed (see the dbt log above)"
    more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    line = f"dbt {verb} failed: {len(failed)} node(s) failed: " + "; ".join(failed[:5]) + more
    example = _first_failing_row(result, first_row) if first_row else None
    return f"{line}; first failing row of {example}" if example else line


def _is_unit_test(node: Any) -> bool:
    """Whether a dbt node is a unit test (whose compiled query is the model's actual output)."""
    return str(getattr(node, "resource_type", "")).lower().endswith("unit_test")


def _first_failing_row(result: Any, first_row: Callable[[str], str | None]) -> str | None:
    """'<test>: column=value, ...' for the first test that returned failing rows."""
    for node_result in getattr(result.result, "results", []) or []:
        status = str(getattr(node_result, "status", "")).lower()
        compiled = getattr(node_result.node, "compiled_code", None)
        if status == "fail" and getattr(node_result, "failures", None) and compiled and not _is_unit_test(node_result.node):
            row = first_row(compiled)
            if row:
                return f"{node_result.node.name}: {row}"
    return None


@contextmanager
def _working_directory(folder: Path | None) -> Iterator[None]:
    """Run the block in ``folder`` (nothing changes for None)."""
    if folder is None:
        yield
        return
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


@contextmanager
def _environment(**values: str | None) -> Iterator[None]:
    """Set these environment variables for the block (None: unset), then restore them."""
    old = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def landed_references(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The telemetry metrics, customer ids and segments in the landed input, cleaned as staging
    cleans them, so rules naming something that is not there fail before dbt runs.

    The text cleaning is the project's own ``clean_text`` and ``segment_name`` macros, rendered
    from their file; the lower-casing of metrics is what stg_telemetry__usage adds, and a test
    keeps these values equal to the staging models'."""
    clean = _staging_macro("clean_text")
    segment_name = _staging_macro("segment_name")

    def values(expression: str, table: str) -> set[str]:
        sql = f"select distinct {expression} from {RAW_SCHEMA}.{table}"
        return {row[0] for row in con.execute(sql).fetchall() if row[0] is not None}

    return {
        "metrics": values(f"lower({clean('metric')})", "usage"),
        "customers": values(clean("customer_id"), "customers"),
        "segments": values(segment_name("segment"), "customers"),
    }


def _staging_macro(name: str) -> Callable[[str], str]:
    """The SQL of staging's ``clean_text(column)`` or ``segment_name(column)``
    (macros/portability/clean_text.sql, a file of its own so that plain Jinja can render it)."""
    source = (PROJECT_DIR / "macros" / "portability" / "clean_text.sql").read_text()
    macro = getattr(jinja2.Environment().from_string(source).module, f"default__{name}")
    return lambda column: str(macro(column)).strip()


def resolve_rules(input_dir: Path | None, rules_path: Path | None, dialect: str) -> rules.RuleSet:
    """The rules file named on the command line, else the input folder's allocation.yml, else the defaults."""
    if rules_path is not None:
        if not rules_path.is_file():
            raise UserError(f"{rules_path}: rules file not found")
        return rules.load_rules(rules_path, dialect=dialect)
    if input_dir is not None and (input_dir / "allocation.yml").is_file():
        return rules.load_rules(input_dir / "allocation.yml", dialect=dialect)
    return rules.load_rules(None, dialect=dialect)


def build_salt(ruleset: rules.RuleSet, target: str) -> str | None:
    """The CPC_SALT a build with ``privacy: {pseudonymize_customers: true}`` keys pseudonyms with
    (None without the setting); a one-line UserError when it is missing or on Spark."""
    if not ruleset.pseudonymize_customers:
        return None
    if target != "duckdb":
        raise UserError(f"{ruleset.source}: privacy pseudonymize_customers is supported on DuckDB "
                        "warehouses only (the dashboards, cpc publish and cpc docs read DuckDB)")
    return privacy.salt_from_environment(ruleset.source)


def check_target(target: str) -> None:
    """UserError unless ``target`` is one of :data:`TARGETS`."""
    if target not in TARGETS:
        raise UserError(f"unknown target '{target}' (choose one of: {', '.join(TARGETS)})")


def reprocess_day(text: str | None) -> dt.date | None:
    """The day of ``--reprocess-from`` (YYYY-MM-DD), or None; UserError for anything else."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--reprocess-from {text!r}: not a day; write it as YYYY-MM-DD") from None


@contextmanager
def holding(
    warehouse: Path,
    target: str = "duckdb",
    *,
    wait: bool = False,
    say: Callable[[str], None] = print,
    command: str = "build",
) -> Iterator[Path]:
    """Check a warehouse path to build into and hold its lock for the block; yields the resolved
    path. Raises UserError (one line) when another cpc process holds it (unless ``wait``)."""
    check_target(target)
    path = store.prepare_warehouse(warehouse, target)
    with lock.hold(path, target, command=command, wait=wait, say=say):
        yield path


def build(
    input_dir: Path,
    warehouse: Path,
    target: str = "duckdb",
    rules_path: Path | None = None,
    quiet: bool = False,
    say: Callable[[str], None] = print,
    keep_spark: bool = False,
    unit_tests: bool = False,
    wait: bool = False,
    locked: bool = False,
    progress: Any = None,
    spark_master: str | None = None,
    full_refresh: bool = False,
    strict: bool = False,
    reprocess_from: dt.date | None = None,
) -> BuildResult:
    """Land ``input_dir`` into ``warehouse`` and run ``dbt build`` with every test.

    Raises UserError (one line) for a missing or malformed input, bad rules, a failing test, a
    warehouse that cannot be opened, or one another cpc process is building (with ``wait``, waits
    for it instead). With ``keep_spark`` the Spark session stays open for the caller (e.g. to
    print a report). dbt's unit tests (hand-computed fixtures that test the project's SQL,
    whatever the input and rules) run too when ``unit_tests`` is True. ``locked``: the caller already
    holds the warehouse (see :func:`holding`), e.g. to keep it until its report is printed.
    ``progress``: a :class:`cpc.progress.BuildProgress` to keep up to date (on a terminal).
    ``spark_master``: where Spark runs (see :func:`cpc.spark.master_url`; default local).
    A build of a warehouse that already holds one allocates only the days whose inputs changed
    (``int_days_to_process``; see docs/incremental.md); ``full_refresh`` allocates every day again,
    ``reprocess_from`` every day from that one (telemetry that changed before the lookback window is
    otherwise held back and reported).
    A month whose unattributed share of the bill is above the rules' ``max_unattributed_share``
    is a warning; with ``strict`` it fails the build (UserError) like a failing test: on DuckDB
    nothing is published.

    A DuckDB warehouse is built in a working copy and published in one rename when the build
    succeeds (:mod:`cpc.publish`): readers keep reading the last good marts meanwhile, and a
    build that fails leaves them published. The build is recorded in what it builds:
    ``running`` before landing, then ``success``, ``failed`` (a UserError or any other exception,
    re-raised) or ``interrupted`` (Ctrl-C: KeyboardInterrupt is re-raised).
    """
    check_target(target)
    input_dir = input_dir.expanduser().resolve()
    if not input_dir.is_dir():
        raise UserError(f"{input_dir}: input folder not found")
    start_importing_dbt()
    if not locked:
        # A rules file that asks for pseudonyms without a salt fails before anything is locked.
        build_salt(resolve_rules(input_dir, rules_path, dialect=target), target)
        with holding(warehouse, target, wait=wait, say=say) as path:
            return build(input_dir, path, target=target, rules_path=rules_path, quiet=quiet,
                         say=say, keep_spark=keep_spark, unit_tests=unit_tests, locked=True,
                         progress=progress, spark_master=spark_master, full_refresh=full_refresh, strict=strict,
                         reprocess_from=reprocess_from)
    warehouse = warehouse.expanduser().resolve()
    ruleset = resolve_rules(input_dir, rules_path, dialect=target)
    salt = build_salt(ruleset, target)
    if target == "spark":
        return _recorded_build(input_dir, warehouse, warehouse, target, ruleset, quiet=quiet,
                               say=say, keep_spark=keep_spark, unit_tests=unit_tests,
                               progress=progress, spark_master=spark_master, full_refresh=full_refresh, strict=strict)
    with publishing.working_copy(warehouse) as working:
        result = _recorded_build(input_dir, warehouse, working, target, ruleset, quiet=quiet,
                                 say=say, keep_spark=keep_spark, unit_tests=unit_tests,
                                 progress=progress, full_refresh=full_refresh, strict=strict,
                                 salt=salt, reprocess_from=reprocess_from)
        publishing.publish(working, warehouse)
    return result


def _recorded_build(
    input_dir: Path,
    warehouse: Path,
    building: Path,
    target: str,
    ruleset: rules.RuleSet,
    **options: Any,
) -> BuildResult:
    """Land and build into ``building`` (the warehouse itself on Spark, its working copy on
    DuckDB), recording the build there: running, then success, failed or interrupted. A DuckDB
    build that does not succeed is also noted in the published warehouse when it can be written
    (it is not when a reader holds it open): reports then say its marts are the previous build's."""
    in_place = building == warehouse
    record = store.record_build_start(building, target, input_dir,
                                      published=None if in_place else True)

    def ended(status: str, message: str | None = None) -> None:
        store.record_build_end_quietly(building, record, status, message)
        if not in_place:
            store.record_unpublished_build_quietly(warehouse, record, status, message)

    with _noting_interrupts() as interrupted:
        try:
            result = _land_and_build(input_dir, warehouse, building, target, ruleset, **options)
        except BaseException as exc:
            if interrupted() or _caused_by_interrupt(exc):
                ended("interrupted")
                raise KeyboardInterrupt from None
            if isinstance(exc, UserError):
                message = str(exc)
            else:
                message = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
            ended("failed", message[:400])
            raise
        if interrupted():  # stopped, though dbt reported success
            ended("interrupted")
            raise KeyboardInterrupt
    store.record_build_end(building, record, "success")
    return result


def _land_and_build(
    input_dir: Path,
    warehouse: Path,
    building: Path,
    target: str,
    ruleset: rules.RuleSet,
    *,
    quiet: bool,
    say: Callable[[str], None],
    keep_spark: bool,
    unit_tests: bool,
    progress: Any,
    spark_master: str | None = None,
    full_refresh: bool = False,
    strict: bool = False,
    salt: str | None = None,
    reprocess_from: dt.date | None = None,
) -> BuildResult:
    """The build itself (the caller holds the lock and records the outcome). ``salt``: the
    rules pseudonymize customers; their mapping is written after dbt (:mod:`cpc.privacy`)."""
    result = BuildResult(target=target, warehouse=warehouse, rules_source=ruleset.source,
                         rules_hash=ruleset.content_hash)
    if salt is not None:
        result.privacy = {"pseudonymize_customers": True,
                          "salt_fingerprint": privacy.salt_fingerprint(salt)}

    started = time.perf_counter()
    landing_progress: dict[str, Any] = (
        {"on_start": progress.landing, "on_file": progress.landed} if progress else {}
    )
    if target == "duckdb":
        with store.connect_duckdb(building, config={**LANDING_CONFIG, "fsync_mode": publishing.WORKING_FSYNC_MODE}) as con:
            summary = landing.land(input_dir, con, schema=RAW_SCHEMA, **landing_progress)
            rules.check_references(ruleset, **landed_references(con), where=ruleset.source)
    else:
        with duckdb.connect(config=LANDING_CONFIG) as con:
            summary = landing.land(input_dir, con, schema=RAW_SCHEMA, **landing_progress)
            rules.check_references(ruleset, **landed_references(con), where=ruleset.source)
            parquet = landing.export_parquet(con, warehouse / "landed", schema=RAW_SCHEMA)
    result.landed_rows = dict(summary.table_rows)
    result.landed_files = {"read": summary.files_read, "kept": len(summary.files_kept),
                           "appended": len(summary.files_appended)}
    result.seconds["land"] = time.perf_counter() - started
    for line in summary.describe():
        say(line)

    spark_session = None
    if target == "spark":
        from cpc import spark as spark_engine

        started = time.perf_counter()
        noting = getattr(signal.getsignal(signal.SIGINT), "_notes_interrupts", False)
        spark_session = spark_engine.spark_session(warehouse, master=spark_master)
        result.spark_master = spark_session.sparkContext.master
        if noting:  # starting Spark replaced the SIGINT handler with its own: note Ctrl-C again
            _note_interrupts_over(signal.getsignal(signal.SIGINT))
        spark_engine.register_parquet_tables(spark_session, parquet, schema=RAW_SCHEMA)
        result.seconds["spark_start"] = time.perf_counter() - started

    started = time.perf_counter()
    try:
        verb = ["build"] if unit_tests else ["build", "--exclude-resource-type", "unit_test"]
        if full_refresh:
            verb.append("--full-refresh")
        settings = ruleset.to_dbt_vars()
        if reprocess_from is not None:
            settings["cpc_reprocess_from"] = reprocess_from.isoformat()
        dbt_result = run_dbt(verb, warehouse=building, target=target,
                             settings=settings, quiet=quiet, published=warehouse,
                             on_event=progress.dbt_event if progress else None)
        built_query = _built_query(building, spark_session)
        over_limit = _months_over_limit(built_query, ruleset.max_unattributed_share)
        _read_allocated_days(built_query, result)
    finally:
        result.seconds["dbt_build"] = time.perf_counter() - started
        if spark_session is not None and not keep_spark:
            from cpc import spark as spark_engine

            spark_engine.stop(spark_session)
    timed = []
    for node_result in getattr(dbt_result.result, "results", []) or []:
        kind = node_result.node.resource_type
        key = str(getattr(kind, "value", kind))
        result.node_counts[key] = result.node_counts.get(key, 0) + 1
        timed.append((float(getattr(node_result, "execution_time", 0) or 0), node_result.node.name))
        if key == "test":
            status = getattr(node_result, "status", None)
            result.test_outcomes[node_result.node.unique_id] = {
                "status": str(getattr(status, "value", status)),
                "failures": getattr(node_result, "failures", None),
            }
    result.slowest = [(name, seconds) for seconds, name in sorted(timed, reverse=True)[:SLOWEST]]
    result.warnings = _warnings(dbt_result, building, target)
    limit_source = "default" if ruleset.source == "default" else ruleset.source
    gate_lines = [_gate_line(month, ruleset.max_unattributed_share, limit_source) for month in over_limit]
    result.warnings += gate_lines
    result.unattributed_gate = {
        "max_unattributed_share": ruleset.max_unattributed_share,
        "strict": strict,
        "passed": not over_limit,
        "months_over": over_limit,
    }
    for line in result.warnings:
        say(f"warning: {line}")
    if target == "duckdb":
        with store.connect_duckdb(building) as con:
            mapped = privacy.write_mapping(con, salt)
        if salt is not None:
            say(f"pseudonyms: {mapped} customers mapped in {privacy.MAPPING_TABLE} (private; "
                f"salt fingerprint {result.privacy['salt_fingerprint']})")
    if line := result.allocation_line():
        say(line)
    if result.held_back_days:
        late = _late_telemetry_line(result.held_back_days, ruleset.lookback_days, input_dir, warehouse, target)
        result.warnings.append(late)
        say(f"warning: {late}")
    _write_summary(result)
    if strict and over_limit:
        outcome = ("the build is recorded as failed" if target == "spark"
                   else "nothing was published")
        more = f" (and {len(over_limit) - 1} more month(s))" if len(over_limit) > 1 else ""
        raise UserError(f"--strict: {gate_lines[0]}{more}; {outcome}")
    return result


def _built_query(building: Path, spark_session: Any) -> Callable[[str], list[dict[str, Any]]]:
    """A function running one query on the warehouse just built (its working copy on DuckDB)."""
    if spark_session is not None:
        return lambda sql: [row.asDict() for row in spark_session.sql(sql).collect()]

    def duckdb_query(sql: str) -> list[dict[str, Any]]:
        try:
            con = duckdb.connect(str(building), read_only=True)
        except duckdb.Error:  # a handle open in this process with other settings: attach to it
            con = duckdb.connect(str(building))
        try:
            cursor = con.execute(sql)
            names = [column[0] for column in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()

    return duckdb_query


def _months_over_limit(query: Callable[[str], list[dict[str, Any]]], limit: float) -> list[dict[str, Any]]:
    """The months whose unattributed share of the bill (unattributed_costs_monthly's
    month_unattributed_share, computed in SQL) is above ``limit``, in order, each with its largest
    reasons: [{"month": "YYYY-MM", "share": s, "top_reasons": [{"reason": r, "share": s}, ...]}]."""
    rows = query(
        "select cast(month as string) as month, reason, share_of_total_cost as reason_share,"
        " month_unattributed_share as month_share"
        " from marts.unattributed_costs_monthly"
        f" where month is not null and month_unattributed_share > {float(limit)!r}"
        " order by month, unattributed_cost desc, reason"
    )
    months: dict[str, dict[str, Any]] = {}
    for row in rows:
        month = months.setdefault(str(row["month"])[:7], {
            "month": str(row["month"])[:7], "share": float(row["month_share"]), "top_reasons": []})
        if len(month["top_reasons"]) < GATE_REASONS:
            month["top_reasons"].append({"reason": row["reason"], "share": float(row["reason_share"])})
    return list(months.values())


def _gate_line(month: dict[str, Any], limit: float, source: str) -> str:
    """One warning line for a month over the unattributed-cost limit."""
    reasons = ", ".join(f"{item['reason']} {item['share']:.1%}" for item in month["top_reasons"])
    return (f"unattributed cost is {month['share']:.1%} of the bill in {month['month']}, above "
            f"max_unattributed_share {limit:g} ({source}); top reasons: {reasons}")


def _warnings(dbt_result: Any, warehouse: Path, target: str) -> list[str]:
    """A line per data test that warned (severity warn): what it checks and how many rows, with
    the first row where it can be read, e.g. a charge outside its billing period."""
    first_row = _duckdb_first_row(warehouse) if target == "duckdb" else None
    lines = []
    for node_result in getattr(dbt_result.result, "results", []) or []:
        if str(getattr(node_result, "status", "")).lower() != "warn":
            continue
        node = node_result.node
        failures = getattr(node_result, "failures", None) or 0
        tested = getattr(node, "attached_node", None) or ""
        model = tested.rsplit(".", 1)[-1] if tested else node.name
        line = f"{model}: {failures} row(s) ({node.name})"
        compiled = getattr(node, "compiled_code", None)
        example = first_row(compiled) if first_row and compiled else None
        lines.append(f"{line}; first: {example}" if example else line)
    return lines


def _read_allocated_days(query: Callable[[str], list[dict[str, Any]]], result: BuildResult) -> None:
    """Which days the build allocated and why (int_days_to_process), into ``result``."""
    rows = query("select reprocess_reason, count(*) as days from intermediate.int_days_to_process"
                 " group by reprocess_reason")
    (counted,) = query("select count(*) as days from intermediate.int_days_fingerprinted")
    held_back = query("select cast(cost_date as string) as cost_date from intermediate.int_days_held_back"
                      " order by cost_date")
    result.allocated_days = {str(row["reprocess_reason"]): int(row["days"]) for row in rows}
    result.input_days = int(counted["days"])
    result.held_back_days = [str(row["cost_date"]) for row in held_back]


def _late_telemetry_line(days: list[str], lookback_days: int, input_dir: Path, warehouse: Path,
                         target: str) -> str:
    """The warning for telemetry that changed before the lookback window, with the command that
    allocates it."""
    span = days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"
    engine = "" if target == "duckdb" else f" --target {target}"
    return (f"telemetry changed on {len(days)} day(s) more than {lookback_days} day(s) before the input's "
            f"latest day ({span}; allocation.yml incremental lookback_days); those days keep their "
            f"allocation until you run: cpc build --input {input_dir} --warehouse {warehouse}{engine} "
            f"--reprocess-from {days[0]}")


def _write_summary(result: BuildResult) -> None:
    """Record what the build did (rows landed, rules, timings) as JSON beside dbt's run results."""
    target_path, _ = dbt_paths(result.warehouse, result.target)
    summary = {
        "target": result.target,
        **({"spark_master": result.spark_master} if result.spark_master else {}),
        "warehouse": str(result.warehouse),
        "landed_rows": result.landed_rows,
        "landed_files": result.landed_files,
        "rules_source": result.rules_source,
        "rules_hash": result.rules_hash,
        "node_counts": result.node_counts,
        "seconds": {stage: round(seconds, 3) for stage, seconds in result.seconds.items()},
        "warnings": result.warnings,
        **({"allocated_days": result.allocated_days, "input_days": result.input_days,
            "held_back_days": result.held_back_days}
           if result.input_days is not None else {}),
        "unattributed_gate": result.unattributed_gate,
        "privacy": result.privacy,
        "slowest_nodes": [{"node": name, "seconds": round(seconds, 3)} for name, seconds in result.slowest],
        "test_outcomes": result.test_outcomes,
    }
    (target_path / "cpc_build.json").write_text(json.dumps(summary, indent=2))

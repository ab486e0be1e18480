"""The `cpc` command: generate demo data, land, build and validate inputs, report costs."""

from __future__ import annotations

import os
import signal
import sys
import time
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import click
import typer
from rich.console import Console
from rich.markup import escape

from cpc.errors import Interrupted, UserError
from cpc.progress import BuildProgress

app = typer.Typer(
    help="Cost per customer: what does it cost to serve each customer?",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Markdown: a paragraph of a help text reflows to the terminal (the source line breaks are not kept).
    rich_markup_mode="markdown",
)
console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console.width = 140  # piped or in CI: room for the report's tables
err_console = Console(stderr=True)

InputOption = Annotated[Path, typer.Option("--input", "-i", help="Input folder (billing/, usage/, customers.csv, ...).")]
TargetOption = Annotated[str, typer.Option("--target", "-t", help="Engine: duckdb (default) or spark.")]
WaitOption = Annotated[bool, typer.Option(
    "--wait",
    help="If another cpc process is building the warehouse, wait for it instead of failing.",
)]

SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="A validation threshold, NAME=VALUE (repeatable; docs/validation.md lists them).",
)]


def _say(line: str) -> None:
    """Print one progress line as it is (no markup, no wrapping)."""
    console.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the input contract into.")],
    customers: Annotated[int, typer.Option(help="Number of customers.")] = 200,
    days: Annotated[int, typer.Option(help="Number of days of billing and telemetry.")] = 60,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 7,
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2024-01-01",
    file_format: Annotated[str, typer.Option("--format", help="csv, csv.gz or parquet (billing/ and usage/).")] = "csv.gz",
) -> None:
    """Write realistic demo data with a ground truth (ground_truth.csv)."""
    from cpc.generate import generate as run_generate

    try:
        first_day = date.fromisoformat(start)
    except ValueError as exc:
        raise UserError(f"--start: '{start}' is not a date (YYYY-MM-DD)") from exc
    started = time.perf_counter()
    with console.status("generating ...") as status:
        summary = run_generate(out, customers=customers, days=days, seed=seed, start=first_day,
                               file_format=file_format, progress=lambda text: status.update(text))
    console.print(
        f"Wrote {summary.customers:,} customers, {summary.billing_rows:,} billing rows and "
        f"{summary.usage_rows:,} usage rows over {summary.days} days to {out} "
        f"in {time.perf_counter() - started:.1f} s"
    )


@app.command()
def land(
    input_dir: InputOption,
    warehouse: Annotated[Path, typer.Option("--warehouse", "-w", help="DuckDB file to land into.")],
    wait: WaitOption = False,
) -> None:
    """Land an input folder into a DuckDB file (schema cpc_raw), for running dbt yourself."""
    from cpc import build as builder
    from cpc import landing
    from cpc import warehouse as store

    if not input_dir.is_dir():
        raise UserError(f"{input_dir}: input folder not found")
    path = warehouse.expanduser().resolve()
    try:
        with builder.holding(warehouse, "duckdb", wait=wait, say=_say, command="land") as path:
            # Recorded like a build (running, then landed): an interrupted land is refused by
            # reports; a finished one leaves the warehouse to be built by running dbt directly.
            record = store.record_build_start(path, "duckdb", input_dir.expanduser().resolve())
            try:
                with store.connect_duckdb(path) as con:
                    summary = landing.land(input_dir, con)
            except KeyboardInterrupt:
                store.record_build_end_quietly(path, record, "interrupted")
                raise
            except UserError as exc:
                store.record_build_end_quietly(path, record, "failed", str(exc))
                raise
            store.record_build_end(path, record, "landed")
    except KeyboardInterrupt:
        raise Interrupted(f"landing into {path} was stopped; run cpc land again") from None
    for line in summary.describe():
        console.print(line)


@app.command()
def build(
    input_dir: InputOption,
    warehouse: Annotated[Path, typer.Option("--warehouse", "-w", help="DuckDB file, or for Spark the warehouse folder.")],
    target: TargetOption = "duckdb",
    rules: Annotated[Path | None, typer.Option("--rules", help="Allocation rules (default: INPUT/allocation.yml, else the built-in defaults).")] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Print the cost report after a successful build.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only dbt's errors.")] = False,
    unit_tests: Annotated[bool, typer.Option("--unit-tests/--no-unit-tests", help="Also run dbt's unit tests of the models (hand-computed fixtures that test the project's SQL whatever the input: for development and CI; make test runs them).")] = False,
    wait: WaitOption = False,
    spark_master: Annotated[str | None, typer.Option("--spark-master", help="With --target spark: the master to run on, spark://HOST:PORT for a standalone cluster (default: local[2] in this process; also $CPC_SPARK_MASTER).")] = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Allocate every day again (by default a build allocates only the days whose inputs changed since the last one).")] = False,
    reprocess_from: Annotated[str | None, typer.Option("--reprocess-from", metavar="DATE", help="Allocate every day from DATE (YYYY-MM-DD) again, whatever changed: for telemetry that arrived later than the lookback window (allocation.yml incremental lookback_days), which a build reports and otherwise leaves as it was.")] = None,
    strict: Annotated[bool, typer.Option("--strict/--no-strict", help="Fail (exit 2, nothing published) when a month's unattributed share of the bill is above max_unattributed_share of the rules, instead of warning.")] = False,
    validate_after: Annotated[bool, typer.Option("--validate/--no-validate", help="After publishing, run cpc validate (Great Expectations suites, Data Docs); a critical failure makes the exit code 2.")] = False,
    docs: Annotated[Path | None, typer.Option("--docs", help="With --validate: folder for the Data Docs (default: NAME-validation/ beside the warehouse).")] = None,
    overrides: SetOption = None,
) -> None:
    """Land INPUT, build every model and run every data test; non-zero exit when anything fails.

    A DuckDB build works on a copy and, when it succeeds, replaces the warehouse file in one step
    (readers never see a half-built one); `cpc publish` exports its marts for BI tools.

    Holds the warehouse (a lock beside it) from landing to the last line printed: another build
    or land of the same warehouse fails at once, or with --wait waits for this one.
    """
    from cpc import build as builder

    if (docs is not None or overrides) and not validate_after:
        raise UserError("--docs and --set apply to --validate only")
    if validate_after:
        if target != "duckdb":
            raise UserError("--validate reads a DuckDB warehouse; it does not apply to "
                            f"--target {target}")
        from cpc.validate import docs as data_docs
        from cpc.validate import settings as thresholds
        from cpc.validate.run import default_docs_dir

        # Clear lines now rather than after the build.
        thresholds.resolve(overrides)
        resolved = warehouse.expanduser().resolve()
        data_docs.check((docs or default_docs_dir(resolved)).expanduser().resolve())
    valid = True
    if spark_master is not None:
        if target != "spark":
            raise UserError("--spark-master applies to --target spark only")
        from cpc.spark import master_url

        spark_master = master_url(spark_master)  # a clear line now rather than after landing
    builder.check_target(target)
    first_day = builder.reprocess_day(reprocess_from)
    if input_dir.expanduser().is_dir():
        # Rules asking for pseudonyms without CPC_SALT: one line now, before anything is locked.
        builder.build_salt(builder.resolve_rules(input_dir.expanduser().resolve(), rules, target), target)
    path = warehouse.expanduser().resolve()
    stage = "waiting"
    try:
        with builder.holding(warehouse, target, wait=wait, say=_say) as path:
            stage = "building"
            # On a terminal a progress display says where the build is (dbt's own lines are
            # then left out, errors kept); elsewhere the output stays line-based.
            shown = console.is_terminal and not quiet
            with BuildProgress(console) if shown else nullcontext() as progress:
                result = builder.build(input_dir, path, target=target, rules_path=rules,
                                       quiet=quiet or shown, say=_say,
                                       keep_spark=report and target == "spark",
                                       unit_tests=unit_tests, locked=True, progress=progress,
                                       spark_master=spark_master, full_refresh=full_refresh, strict=strict,
                                       reprocess_from=first_day)
            stage = "reporting"
            counts = sorted(result.node_counts.items())
            console.print(
                f"[green]Built[/green] {escape(str(warehouse))} on {target} with rules from "
                f"{escape(result.rules_source)}: "
                + ", ".join(f"{count} {kind}s" for kind, count in counts)
                + " — "
                + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in result.seconds.items()),
                soft_wrap=True,
            )
            if result.slowest and not quiet:
                _say("slowest: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.slowest))
            if report:
                try:
                    _report(path, target, input_dir)
                finally:
                    if target == "spark":  # let go of the warehouse's metastore before its lock
                        _stop_spark()
            if validate_after:
                stage = "validating"
                valid = _validate(path, docs, overrides)
    except KeyboardInterrupt:
        messages = {
            "waiting": f"stopped waiting for {path}; nothing was built",
            "building": f"the build of {path} was stopped; run cpc build again",
            "reporting": f"the report was stopped (the build of {path} had finished)",
            "validating": f"the validation was stopped (the build of {path} had finished)",
        }
        raise Interrupted(messages[stage]) from None
    if not valid:
        raise UserError(f"{path}: built and published, but a critical expectation failed "
                        "(lines above)")


def _stop_spark() -> None:
    """Stop the Spark session a build left open for its report (if any)."""
    from pyspark.sql import SparkSession

    from cpc import spark as spark_engine

    session = SparkSession.getActiveSession()
    if session is not None:
        spark_engine.stop(session)


def _report(warehouse: Path, target: str, input_dir: Path | None, top: int = 10) -> None:
    from cpc.report import print_report
    from cpc.warehouse import open_warehouse

    session = None
    if target == "spark":
        from pyspark.sql import SparkSession

        session = SparkSession.getActiveSession()
    truth_path = input_dir / "ground_truth.csv" if input_dir else None
    with open_warehouse(warehouse.resolve(), target, spark_session=session, say=_say) as query:
        print_report(query, console=console, top=top, truth_path=truth_path)


@app.command()
def report(
    warehouse: Annotated[Path, typer.Option("--warehouse", "-w", help="The built DuckDB file or Spark warehouse folder.")],
    target: TargetOption = "duckdb",
    input_dir: Annotated[Path | None, typer.Option("--input", "-i", help="Input folder; its ground_truth.csv, if any, is scored.")] = None,
    top: Annotated[int, typer.Option(help="How many customers to list.")] = 10,
) -> None:
    """Print top customers, segments, unattributed cost by reason (and the error vs ground truth)."""
    _report(warehouse, target, input_dir, top=top)


@app.command()
def explain(
    customer: Annotated[str, typer.Option("--customer", "-c", help="The customer id.")],
    month: Annotated[str, typer.Option("--month", "-m", help="The month, YYYY-MM.")],
    warehouse: Annotated[Path | None, typer.Option("--warehouse", "-w", help="A built DuckDB file or Spark warehouse folder.")] = None,
    input_dir: Annotated[Path | None, typer.Option("--input", "-i", help="Or an input folder, built first into a temporary DuckDB file.")] = None,
    target: TargetOption = "duckdb",
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, csv (the breakdown) or json (everything).")] = "table",
    top: Annotated[int, typer.Option(help="How many of the largest charges to list.")] = 10,
) -> None:
    """Explain one customer's cost in one month: by rule, method, service and driver, and the largest charges."""
    import tempfile

    from cpc import build as builder
    from cpc import explain as explainer
    from cpc.warehouse import open_warehouse

    if (warehouse is None) == (input_dir is None):
        raise UserError("give exactly one of --warehouse (a built warehouse) or --input (an input folder to build)")
    with tempfile.TemporaryDirectory(prefix="cpc-explain-") as scratch:
        if input_dir is not None:
            target = "duckdb"
            warehouse = Path(scratch) / "warehouse.duckdb"
            builder.build(input_dir, warehouse, quiet=True, say=lambda _line: None)
        assert warehouse is not None
        # Notes go to stderr: the csv and json formats own stdout.
        with open_warehouse(warehouse.resolve(), target,
                            say=lambda line: err_console.print(escape(line), soft_wrap=True)) as query:
            customer = _resolve_pseudonym(query, target, customer, warehouse)
            result = explainer.explain(query, customer, month, top=top)
        explainer.render(result, output_format, console)


def _resolve_pseudonym(query: Any, target: str, customer: str, warehouse: Path) -> str:
    """The customer id a pseudonym stands for (said on stderr), from the warehouse's private
    mapping (cpc.privacy); any other customer as given."""
    from cpc import privacy

    pseudonyms = privacy.load(query, target)
    real = pseudonyms.real_id(customer) if pseudonyms is not None else None
    if real is not None:
        name = pseudonyms.customers[real][0] if pseudonyms is not None else None
        err_console.print(escape(f"{customer.strip().lower()} is the pseudonym of customer {real}"
                                 + (f" ({name})" if name else "")), soft_wrap=True, highlight=False)
        return real
    if pseudonyms is None and privacy.looks_like_pseudonym(customer):
        raise UserError(f"customer '{customer}' looks like a pseudonym, but {warehouse} holds no "
                        "mapping (its last build did not set privacy: pseudonymize_customers)")
    return customer


def _validate(warehouse: Path, docs: Path | None, overrides: list[str] | None) -> bool:
    """Run the expectation suites, print one line per failed expectation and where the Data Docs
    are; returns True when no critical expectation failed."""
    from cpc.validate import settings as thresholds
    from cpc.validate.run import validate as run_validate

    values = thresholds.resolve(overrides)
    with console.status("validating ..."):
        outcome = run_validate(warehouse, docs, values, say=_say)
    for failure in outcome.failures:
        _say(failure.line())
    _say(f"Validated {warehouse} in {outcome.seconds:.1f} s: {len(outcome.results)} expectations "
         f"on {outcome.frames} frames, {len(outcome.critical)} critical and "
         f"{len(outcome.failures) - len(outcome.critical)} warning failures; "
         f"Data Docs: {outcome.docs_index}")
    return not outcome.critical


@app.command()
def validate(
    warehouse: Annotated[Path, typer.Option("--warehouse", "-w", help="The built DuckDB file.")],
    docs: Annotated[Path | None, typer.Option("--docs", help="Folder for the Data Docs (default: NAME-validation/ beside the warehouse).")] = None,
    overrides: SetOption = None,
) -> None:
    """Check the inputs and marts with Great Expectations (beyond dbt's tests) and write Data Docs.

    Prints one line per failed expectation; exits 2 when a critical one failed (warnings: 0).
    """
    if not _validate(warehouse, docs, overrides):
        raise UserError(f"{warehouse}: a critical expectation failed (lines above)")


@app.command()
def docs(
    warehouse: Annotated[Path, typer.Option("--warehouse", "-w", help="The built DuckDB file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the docs site into (index.html).")],
) -> None:
    """Write dbt's docs site of the warehouse as one static page that opens offline: models,
    columns and tests, the lineage graph with the dashboards and reports that read the marts
    (exposures), and the semantic models and metrics."""
    from cpc.docs import generate as generate_docs

    with console.status("dbt docs generate ..."):
        result = generate_docs(warehouse, out, say=_say)
    _say(f"Wrote {result.index} in {result.seconds:.1f} s: {result.models} models, "
         f"{result.exposures} exposures, {result.semantic_models} semantic models, "
         f"{result.metrics} metrics (compiled with {result.rules_source}); open it in a browser")


@app.command("publish")
def publish_for_bi(
    warehouse: Annotated[Path, typer.Option("--warehouse", "-w", help="The built DuckDB file (read-only; a build may run meanwhile).")],
    to: Annotated[Path, typer.Option("--to", help="Folder to publish into: a new or empty folder, or an earlier publish, which is replaced in one step.")],
    partition_rows: Annotated[int | None, typer.Option("--partition-rows", help="A mart with a month or cost_date column and at least this many rows is written partitioned by month (default 100,000).", show_default=False)] = None,
    keep: Annotated[int | None, typer.Option("--keep", help="Earlier publishes to keep for the connections still reading them (a BI tool's pool); older ones are removed (default 1).", show_default=False)] = None,
) -> None:
    """Publish the marts for BI tools: every mart as Parquet (large ones partitioned by month)
    and TO/views.duckdb, a small DuckDB file of views over them to open read-only.

    Reads a warehouse `cpc build` has built (a build publishes its own warehouse file when it
    succeeds; this command exports that file's marts). A BI tool reading the previous publish
    keeps reading it: the new one replaces it in one rename.
    """
    from cpc import bi_export

    with console.status("publishing the marts ..."):
        result = bi_export.publish(
            warehouse, to, say=_say,
            partition_rows=bi_export.PARTITION_ROWS if partition_rows is None else partition_rows,
            keep=bi_export.KEEP if keep is None else keep,
        )
    copies = [mart for mart in result.marts if mart.alias_of is None]
    split = [mart.name for mart in copies if mart.partitioned_by]
    _say(f"Published {len(copies)} marts ({sum(mart.rows for mart in copies):,} rows"
         + (f"; by month: {', '.join(split)}" if split else "")
         + f") and {len(result.marts) - len(copies)} aliases from {result.warehouse} to "
         f"{result.folder} in {result.seconds:.1f} s")
    _say(f"Views for BI tools (open read-only): {result.views_file}")


rules_app = typer.Typer(help="Allocation rules: compare two rule files.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("diff")
def rules_diff(
    old: Annotated[Path, typer.Argument(help="The current allocation.yml.")],
    new: Annotated[Path, typer.Argument(help="The proposed allocation.yml.")],
    input_dir: InputOption,
    top: Annotated[int, typer.Option(help="How many customers and customer-months to list.")] = 20,
    output_format: Annotated[str, typer.Option("--format", "-f", help="text, markdown (a review summary) or json (every row).")] = "text",
    keep: Annotated[Path | None, typer.Option("--keep", help="Build the two warehouses in this folder (old.duckdb, new.duckdb) and keep them, e.g. for cpc explain or cpc dashboard (default: a temporary folder, removed).")] = None,
) -> None:
    """Print which rules change and, per segment, customer and month, what cost would move."""
    from cpc import compare

    _check_format(output_format)
    for path in (old, new):
        if not path.is_file():
            raise UserError(f"{path}: rules file not found")
    with err_console.status("building the input with both rule files ..."):
        result = compare.diff(old, new, input_dir, keep=keep.expanduser().resolve() if keep else None)
    compare.render(result, console, output_format=output_format, top=top)


def _check_format(output_format: str) -> None:
    from cpc import compare

    if output_format not in compare.FORMATS:
        raise UserError(f"--format: '{output_format}' is not one of {', '.join(compare.FORMATS)}")


@app.command("diff")
def warehouses_diff(
    base: Annotated[Path, typer.Option("--base", help="The DuckDB warehouse built by the base revision.")],
    head: Annotated[Path, typer.Option("--head", help="The DuckDB warehouse built from the same input by the head revision.")],
    output_format: Annotated[str, typer.Option("--format", "-f", help="text, markdown (a review summary) or json (every row).")] = "text",
    top: Annotated[int, typer.Option(help="How many customers to list.")] = 10,
    title: Annotated[str | None, typer.Option(help="The report's heading (default: the two paths).")] = None,
) -> None:
    """Cost impact of a change: what cost moved per segment and customer, the unattributed share
    before and after, and which data tests changed outcome, between two built warehouses."""
    from cpc import compare

    _check_format(output_format)
    result = compare.compare_warehouses(base, head)
    compare.render(result, console, output_format=output_format, top=top, title=title)


@app.command()
def dashboard(
    warehouse: Annotated[Path, typer.Option("--warehouse", "-w", help="The built DuckDB file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the pages into.")],
    top: Annotated[int, typer.Option(help="Debug pages for this many customers, the largest by cost.")] = 10,
    customers: Annotated[list[str] | None, typer.Option("--customer", "-c", help="Also a debug page for this customer (repeatable).")] = None,
) -> None:
    """Write the executive, on-call and debug dashboards as static HTML pages that open offline."""
    from cpc import dashboard as dashboards
    from cpc import privacy
    from cpc.warehouse import open_warehouse

    path = warehouse.expanduser().resolve()
    with open_warehouse(path, "duckdb", say=_say) as query:
        pseudonyms = privacy.load(query)
        if pseudonyms is not None:
            # Pages show pseudonyms, never ids or names (a --customer may be either).
            query = pseudonyms.query(query)
            customers = [pseudonyms.public_id(customer) for customer in customers or []]
        site = dashboards.write(query, out.expanduser().resolve(), path, top=top,
                                customers=customers or [])
    console.print(f"Wrote {len(site.pages)} pages ({len(site.customers)} customer "
                  f"page{'' if len(site.customers) == 1 else 's'}; spikes "
                  f"from {site.anomalies_source}) to {site.out}", soft_wrap=True, highlight=False)
    _say(f"Dashboard: {site.index}")


@app.command()
def watch(
    warehouse: Annotated[Path, typer.Option("--warehouse", "-w", help="The built DuckDB file.")],
    day: Annotated[str | None, typer.Option("--date", help="The day to watch, YYYY-MM-DD (default: the ledger's last day).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json or markdown.")] = "text",
) -> None:
    """Print the day's digest: new anomaly episodes, budget alerts, estimated billing,
    restatements, reconciliation drifts, held-back telemetry and the unattributed share against
    its goal. Exits 1 when something needs a page, else 0."""
    from datetime import date

    from cpc import privacy
    from cpc import watch as watching
    from cpc.dashboard import unattributed_goal
    from cpc.warehouse import open_warehouse

    if fmt not in watching.FORMATS:
        raise UserError(f"--format: '{fmt}' is not one of {', '.join(watching.FORMATS)}")
    try:
        watched = date.fromisoformat(day) if day else None
    except ValueError:
        raise UserError(f"--date: '{day}' is not a date (YYYY-MM-DD)") from None
    path = warehouse.expanduser().resolve()
    with open_warehouse(path, "duckdb", say=_say) as query:
        pseudonyms = privacy.load(query)
        if pseudonyms is not None:
            query = pseudonyms.query(query)
        result = watching.digest(query, watched, unattributed_goal(path)[0])
    print(watching.render(result, fmt, path))
    if result.needs_page:
        raise typer.Exit(1)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo input and warehouse.")] = Path("demo"),
    customers: Annotated[int, typer.Option(help="Number of customers.")] = 500,
    days: Annotated[int, typer.Option(help="Number of days.")] = 60,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Generate demo data, build it on DuckDB with every test, print the report and write the
    dashboards (OUT/dashboard/index.html)."""
    input_dir = out / "input"
    warehouse = out / "warehouse.duckdb"
    generate(out=input_dir, customers=customers, days=days, seed=seed)
    build(input_dir=input_dir, warehouse=warehouse, quiet=True)
    _report(warehouse, "duckdb", input_dir)
    dashboard(warehouse=warehouse, out=out / "dashboard")


def main() -> None:
    """Entry point. Exit codes: 0 done, 2 an error (one line on stderr, never a traceback), 130
    interrupted (Ctrl-C; one line). Usage errors show click's usage message (with its "Did you
    mean" hint) and exit 2."""
    try:
        code = app(standalone_mode=False)
    except UserError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except Interrupted as exc:
        _exit_interrupted(f"interrupted: {escape(str(exc))}")
    except (click.exceptions.Abort, typer.Abort, KeyboardInterrupt):
        _exit_interrupted("interrupted: stopped")
    except (click.exceptions.ClickException, typer.TyperException) as exc:
        # typer ships its own copy of click's exceptions (typer.TyperException is their base);
        # older typer versions raise click's own.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(f"error: {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 2))
    if isinstance(code, int) and code:
        # typer turns a Ctrl-C it sees into exit code 130 (returned, without standalone mode).
        if code == 130:
            _exit_interrupted("interrupted: stopped")
        sys.exit(code)


def _exit_interrupted(line: str) -> NoReturn:
    """Print the one line of a Ctrl-C and exit 130. Ctrl-C is ignored from here on: a second
    KeyboardInterrupt while the interpreter shuts down (dbt's worker threads are still cancelling
    their queries) would otherwise end the process by SIGINT instead of exit code 130."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    err_console.print(line, highlight=False, soft_wrap=True)
    sys.exit(130)


if __name__ == "__main__":
    main()

"""`cpc publish`: the marts of a built DuckDB warehouse as Parquet files, with a small DuckDB file
of views over them, for BI tools (Superset, Metabase, Evidence, a notebook).

Not to be confused with :mod:`cpc.publish`, which is how `cpc build` swaps a finished build over
the warehouse file. This module reads that published warehouse (read-only, so it runs while a
build goes on) and writes, for ``--to DIR``:

    DIR -> .DIR.publishes/<version>/      DIR is a symbolic link to the latest publish
        views.duckdb                      schema marts: one view per mart, same names and columns
        publish.json                      what was published: marts, rows, files, when, from what
        <mart>.parquet                    a mart written as one file
        <mart>/month=YYYY-MM-01/*.parquet a large mart, partitioned by month (Hive style)

Which relations: every table and view of the warehouse's ``marts`` schema, that is every model
under ``models/marts/`` (dbt_project.yml gives them that schema), so the list lives in one place,
the project's models. That includes the semantic layer's ``time_spine_daily`` (a calendar table,
small). A view that only renames another mart (``select * from marts.customers``: the deprecated
names) is published as the same alias in views.duckdb, without Parquet files of its own.

Which are partitioned: a mart with a ``month`` column, or a ``cost_date`` column (partitioned by
its month), that holds at least ``partition_rows`` rows (default 100,000); the others are one
file each. A partition holds one month, so a dashboard of recent months reads a few files.

A warehouse built with ``privacy: {pseudonymize_customers: true}`` (:mod:`cpc.privacy`) is
published with every customer id and name in a text column replaced by the customer's pseudonym
(customer_id, customer_name, and ids inside other text such as a charge_id or a service name);
the figures are the warehouse's, and the mapping is not published.

A BI tool reading the previous publish never sees a half-written one: each publish writes a new
folder beside DIR and then replaces the link DIR in one rename. The views use the absolute paths
of their own publish's files, which never move; a connection opened before a publish keeps
reading that publish, which is kept for ``keep`` more publishes (default 1; older ones are
removed), and sees the new marts once it reconnects. Moving the published folder breaks those
paths: publish again.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from cpc import lock, privacy
from cpc import warehouse as store
from cpc.errors import UserError
from cpc.sql_text import identifier as _quote
from cpc.sql_text import literal as _literal

#: The warehouse schema holding the marts (dbt_project.yml, models/marts: +schema: marts).
SCHEMA = "marts"
#: The DuckDB file of views a BI tool opens, and the record of what was published.
VIEWS_FILE = "views.duckdb"
RECORD_FILE = "publish.json"
#: The oldest DuckDB release that must read the views file (Metabase's and Evidence's drivers
#: bundle their own, often older, DuckDB).
STORAGE_VERSION = "v1.0.0"
#: A mart at least this large, with a month or day column, is partitioned by month.
PARTITION_ROWS = 100_000
#: Earlier publishes kept for the connections still reading them (BI tools that pool them).
KEEP = 1
#: The SQL function a publish of a pseudonymized warehouse passes text columns through.
PSEUDONYMIZE = "cpc_pseudonymize"
#: The partition column, and the day column a daily mart's month is taken from.
MONTH_COLUMN = "month"
DAY_COLUMN = "cost_date"

#: A view that only renames another mart, as DuckDB stores its SQL.
_ALIAS = re.compile(
    rf'^create view "?{SCHEMA}"?\."?(\w+)"? as select \* from "?{SCHEMA}"?\."?(\w+)"?\s*;?\s*$',
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PublishedMart:
    """One mart as published: its rows, where its Parquet is (relative to the publish's folder)
    and how it was split; or the mart it is an alias of."""

    name: str
    rows: int
    location: str | None
    partitioned_by: str | None = None
    alias_of: str | None = None


@dataclass(frozen=True)
class Publication:
    """What `cpc publish` wrote."""

    folder: Path
    version: Path
    warehouse: Path
    marts: list[PublishedMart] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def views_file(self) -> Path:
        """The DuckDB file of views, by the path a BI tool is given (through the link)."""
        return self.folder / VIEWS_FILE


def _destination(out: Path) -> Path:
    """DIR as an absolute path; its folder resolved, DIR itself not (it is the publish's link)."""
    out = out.expanduser()
    return out.parent.resolve() / out.name


def publishes_folder(out: Path) -> Path:
    """Where the publishes of DIR are kept: ``.DIR.publishes`` beside it."""
    return out.with_name(f".{out.name}.publishes")


def _current_version(out: Path) -> Path | None:
    """The publish DIR links to now (None: DIR is new, or an empty folder to be replaced).

    Refuses anything else: cpc publish replaces only its own publishes."""
    container = publishes_folder(out)
    if out.is_symlink():
        target = Path(os.readlink(out))
        if not target.is_absolute() and target.parent == Path(container.name):
            return out.parent / target
        raise UserError(f"{out}: is a link to {target}, not a cpc publish; give a new or empty "
                        "folder (cpc publish replaces only what it published)")
    if not out.exists():
        return None
    if out.is_dir() and not any(out.iterdir()):
        return None
    what = "a folder with other files" if out.is_dir() else "a file"
    raise UserError(f"{out}: is {what}, not a cpc publish; give a new or empty folder "
                    "(cpc publish replaces only what it published)")


@contextmanager
def _holding(out: Path, container: Path) -> Iterator[None]:
    """One publish to DIR at a time (an flock on ``.DIR.publishes/.lock``)."""
    try:
        container.mkdir(parents=True, exist_ok=True)
        handle = (container / ".lock").open("a")
    except OSError as exc:
        raise UserError(f"{out}: cannot create {container} ({exc.strerror or type(exc).__name__}); "
                        "choose a folder you can write to") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise UserError(f"{out}: another cpc publish to it is running; wait for it to "
                            "finish and try again") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _marts(con: duckdb.DuckDBPyConnection, warehouse: Path) -> tuple[list[str], dict[str, str]]:
    """The marts to write as Parquet (tables and views), and the aliases (view -> mart)."""
    relations = con.execute(
        "select table_name from information_schema.tables"
        " where table_catalog = current_database() and table_schema = ? order by table_name",
        [SCHEMA],
    ).fetchall()
    names = [row[0] for row in relations]
    if not names:
        raise UserError(f"{warehouse}: no marts in it (schema {SCHEMA} is empty or missing); "
                        "give a warehouse cpc build has built")
    views = con.execute(
        "select view_name, sql from duckdb_views()"
        " where database_name = current_database() and schema_name = ?",
        [SCHEMA],
    ).fetchall()
    aliases = {}
    for view, sql in views:
        match = _ALIAS.match(" ".join((sql or "").split()))
        if match and match.group(1) == view and match.group(2) in names and match.group(2) != view:
            aliases[view] = match.group(2)
    # An alias of an alias is written as Parquet rather than followed.
    aliases = {view: mart for view, mart in aliases.items() if mart not in aliases}
    return [name for name in names if name not in aliases], aliases


def _columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[str]:
    return list(_column_types(con, mart))


def _column_types(con: duckdb.DuckDBPyConnection, mart: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog ="
        " current_database() and table_schema = ? and table_name = ? order by ordinal_position",
        [SCHEMA, mart],
    ).fetchall()
    return {row[0]: row[1] for row in rows}


#: Column types that cannot hold a customer id or name.
_NOT_TEXT = re.compile(r"^(DATE|TIMESTAMP.*|TIME|BOOLEAN|(TINY|SMALL|BIG|HUGE|U)?INT(EGER)?|"
                       r"DOUBLE|FLOAT|REAL|DECIMAL.*|INTERVAL)$", re.IGNORECASE)


def _select_list(
    con: duckdb.DuckDBPyConnection, mart: str, pseudonyms: privacy.Pseudonyms | None
) -> str:
    """``*``, or with pseudonyms the mart's columns with every text column holding a customer id
    or name passed through the scrubbing function (PSEUDONYMIZE), in order and by name."""
    if pseudonyms is None:
        return "*"
    relation = f"{_quote(SCHEMA)}.{_quote(mart)}"
    detector = pseudonyms.detector()
    expressions = []
    for column, data_type in _column_types(con, mart).items():
        quoted = _quote(column)
        if _NOT_TEXT.match(data_type):
            expressions.append(quoted)
            continue
        (hits,) = con.execute(f"select count(*) from {relation} where regexp_matches("
                              f"cast({quoted} as varchar), ?)", [detector]).fetchone()
        if not hits:
            expressions.append(quoted)
        elif data_type.upper() == "VARCHAR":
            expressions.append(f"{PSEUDONYMIZE}({quoted}) as {quoted}")
        else:
            raise UserError(f"marts.{mart}.{column} ({data_type}) holds customer ids or names "
                            "that cpc publish cannot replace by pseudonyms; nothing was published")
    return ", ".join(expressions)


def _month_expression(columns: list[str]) -> str | None:
    """The SQL of a mart's month (its partition key), or None when it has neither column."""
    if MONTH_COLUMN in columns:
        return _quote(MONTH_COLUMN)
    if DAY_COLUMN in columns:
        return f"cast(date_trunc('month', {_quote(DAY_COLUMN)}) as date)"
    return None


def _write_mart(
    con: duckdb.DuckDBPyConnection, mart: str, version: Path, partition_rows: int,
    pseudonyms: privacy.Pseudonyms | None = None,
) -> tuple[PublishedMart, str]:
    """Write one mart's Parquet into ``version``; returns it and the SQL of its view."""
    columns = _columns(con, mart)
    relation = f"{_quote(SCHEMA)}.{_quote(mart)}"
    selected = _select_list(con, mart, pseudonyms)
    rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
    month = _month_expression(columns)
    if month is not None and rows >= partition_rows:
        folder = version / mart
        # A daily mart gains a month column in its files' paths; its view leaves it out.
        extra = "" if MONTH_COLUMN in columns else f", {month} as {_quote(MONTH_COLUMN)}"
        con.execute(f"copy (select {selected}{extra} from {relation}) to {_literal(str(folder))}"
                    f" (format parquet, partition_by ({_quote(MONTH_COLUMN)}))")
        files = _literal(str(folder / "*" / "*.parquet"))
        view = (f"select {', '.join(_quote(column) for column in columns)} from read_parquet("
                f"{files}, hive_partitioning = true,"
                f" hive_types = {{{_literal(MONTH_COLUMN)}: 'DATE'}})")
        source = MONTH_COLUMN if MONTH_COLUMN in columns else DAY_COLUMN
        return PublishedMart(mart, rows, f"{mart}/", partitioned_by=source), view
    path = version / f"{mart}.parquet"
    con.execute(f"copy (select {selected} from {relation}) to {_literal(str(path))} (format parquet)")
    return PublishedMart(mart, rows, path.name), f"select * from read_parquet({_literal(str(path))})"


def _write_views(version: Path, views: dict[str, str], aliases: dict[str, str]) -> None:
    """views.duckdb: schema marts with one view per mart (and alias), over this publish's files."""
    # Written in a storage format DuckDB 1.0 and later read: BI tools bundle their own DuckDB.
    config = {"storage_compatibility_version": STORAGE_VERSION}
    with duckdb.connect(str(version / VIEWS_FILE), config=config) as con:
        con.execute(f"create schema {_quote(SCHEMA)}")
        for mart, sql in views.items():
            con.execute(f"create view {_quote(SCHEMA)}.{_quote(mart)} as {sql}")
        for alias, mart in aliases.items():
            con.execute(f"create view {_quote(SCHEMA)}.{_quote(alias)} as"
                        f" select * from {_quote(SCHEMA)}.{_quote(mart)}")
        con.execute("checkpoint")


def _swap(out: Path, version: Path) -> None:
    """Point DIR at ``version`` in one rename (a new link beside it, renamed over it)."""
    link = out.with_name(f".{out.name}.link-{os.getpid()}")
    with suppress(FileNotFoundError):
        link.unlink()
    os.symlink(Path(version.parent.name) / version.name, link)
    if out.is_dir() and not out.is_symlink():
        out.rmdir()  # the empty folder a first publish replaces
    os.replace(link, out)
    with suppress(OSError):
        fd = os.open(out.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_old(container: Path, current: Path, keep: int) -> None:
    """Remove the publishes but the current one and the ``keep`` latest before it, and what a
    stopped publish left (a folder without its record). Versions sort by the time they began."""
    finished = sorted((entry for entry in container.iterdir()
                       if entry.is_dir() and entry != current and (entry / RECORD_FILE).is_file()
                       and entry.name < current.name), reverse=True)
    kept = {current.name, *(entry.name for entry in finished[:keep])}
    for entry in container.iterdir():
        if entry.name not in kept and entry.name != ".lock":
            shutil.rmtree(entry, ignore_errors=True)


def _write_version(
    con: duckdb.DuckDBPyConnection,
    version: Path,
    warehouse: Path,
    marts: list[str],
    aliases: dict[str, str],
    partition_rows: int,
    pseudonyms: privacy.Pseudonyms | None = None,
) -> list[PublishedMart]:
    """Write one publish into its new folder: the marts' Parquet, the views file, the record."""
    version.mkdir()
    published, views = [], {}
    for mart in marts:
        done, views[mart] = _write_mart(con, mart, version, partition_rows, pseudonyms)
        published.append(done)
    rows = {mart.name: mart.rows for mart in published}
    published += [PublishedMart(alias, rows[mart], None, alias_of=mart)
                  for alias, mart in aliases.items()]
    published.sort(key=lambda mart: mart.name)
    _write_views(version, views, aliases)
    record = {"warehouse": str(warehouse), "published_at": lock.format_time(lock.now_utc()),
              "partition_rows": partition_rows, "pseudonymized_customers": pseudonyms is not None,
              "marts": [asdict(mart) for mart in published]}
    # Written last: a folder without it is a publish that did not finish.
    (version / RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return published


def publish(
    warehouse: Path,
    out: Path,
    *,
    partition_rows: int = PARTITION_ROWS,
    keep: int = KEEP,
    say: Callable[[str], None] | None = None,
) -> Publication:
    """Publish every mart of the DuckDB ``warehouse`` to ``out`` (see the module's docstring);
    ``keep`` earlier publishes stay for the connections still reading them."""
    started = time.perf_counter()
    if partition_rows < 1:
        raise UserError(f"--partition-rows: {partition_rows} is not a positive number of rows")
    if keep < 0:
        raise UserError(f"--keep: {keep} is not a number of publishes (0 or more)")
    warehouse = warehouse.expanduser().resolve()
    if warehouse.is_dir():
        raise UserError(f"{warehouse}: is a folder; cpc publish reads a DuckDB warehouse file "
                        "(a Spark warehouse's tables are read with Spark, not published)")
    out = _destination(out)
    _current_version(out)  # refuse a destination that is not ours before any work
    container = publishes_folder(out)
    with store.open_duckdb_reader(warehouse, say=say) as con:
        con.execute("set enable_progress_bar = false")
        marts, aliases = _marts(con, warehouse)
        pseudonyms = privacy.load_duckdb(con)
        if pseudonyms is not None:
            pseudonyms.sql_function(con, PSEUDONYMIZE)
        with _holding(out, container):
            version = container / f"{lock.now_utc():%Y%m%dT%H%M%S%f}-{os.getpid()}"
            try:
                published = _write_version(con, version, warehouse, marts, aliases, partition_rows,
                                           pseudonyms)
                _swap(out, version)
            except BaseException as exc:
                shutil.rmtree(version, ignore_errors=True)
                if isinstance(exc, OSError | duckdb.Error):
                    reason = getattr(exc, "strerror", None) or " ".join(str(exc).split())[:200]
                    raise UserError(f"{out}: cannot write the publish ({reason}); the previous "
                                    "publish is unchanged") from exc
                raise
            _remove_old(container, version, keep)
    return Publication(out, version, warehouse, published, time.perf_counter() - started)

"""Access to a warehouse (DuckDB file or Spark warehouse folder): opening it with one-line errors,
the record of its builds, and read-only queries for reports.

Every build records itself: a row of ``cpc_meta.builds`` inside a DuckDB warehouse, or
``cpc_build_status.json`` inside a Spark warehouse folder. The row says ``running`` from the
start of the build (before anything is landed) and ``success`` only once dbt has finished
without an error; a build that fails says ``failed`` (with its one-line error) and one stopped
with Ctrl-C says ``interrupted``; a killed one stays ``running``.

A DuckDB warehouse is built in a working copy and published only when the build succeeds
(:mod:`cpc.publish`): its marts are always a whole build's. A build that was not published is
noted in it (``published`` false) when the file can be written, and reports say so in a note
above the last good marts. A Spark warehouse is built in place: reports refuse one whose last
build did not succeed, since its marts may mix two inputs; so they do for a DuckDB warehouse
whose last build ran in place (``published`` NULL: a `cpc land` stopped part-way, or an older
version of cpc). A warehouse without the record (built by running dbt directly) is read as
before, and so is one whose last entry is a `cpc land` (``landed``: from then on dbt is run by
hand, as the README describes).
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from cpc import lock
from cpc.errors import UserError

#: Runs one SQL query and returns its rows as dicts. Parameters are written `:name` in the SQL
#: and passed as a dict (bound by the engine, never pasted into the text).
Query = Callable[..., list[dict[str, Any]]]

_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")

#: Where a DuckDB warehouse records its builds (one row per build).
STATUS_SCHEMA = "cpc_meta"
STATUS_TABLE = f"{STATUS_SCHEMA}.builds"
#: Where a Spark warehouse folder records its last build.
SPARK_STATUS_FILE = "cpc_build_status.json"

_STATUS_DDL = f"""
create table if not exists {STATUS_TABLE} (
    build_id varchar,
    input_dir varchar,
    target varchar,
    pid integer,
    user_name varchar,
    host varchar,
    started_at timestamp,
    finished_at timestamp,
    status varchar,
    message varchar
)
"""
#: Added after the first release: older warehouses gain it at their next build.
_PUBLISHED_DDL = f"alter table {STATUS_TABLE} add column if not exists published boolean"


# --- opening a DuckDB warehouse -----------------------------------------------------------------


def duckdb_error(warehouse: Path, exc: BaseException, *, writing: bool) -> UserError:
    """One line saying what is wrong with a DuckDB file that cannot be opened, and what to do."""
    text = " ".join(str(exc).split())
    if "Could not set lock on file" in text:
        busy = lock.holder(warehouse, "duckdb")
        if busy is not None:
            return lock.busy_error(warehouse, busy, "wait for it to finish and try again")
        match = re.search(r"held in (.+?) \(PID (\d+)\)", text)
        who = f" (pid {match.group(2)}, {match.group(1)})" if match else ""
        return UserError(
            f"{warehouse}: the file is locked by another process{who}; close that program's "
            "connection to it (a notebook, a SQL client) and try again"
        )
    if "not a valid DuckDB database" in text:
        what_to_do = ("give a new path or a warehouse cpc built (it never overwrites other files)"
                      if writing else "give the DuckDB file cpc build wrote")
        return UserError(f"{warehouse}: the file is not a DuckDB database; {what_to_do}")
    if "Is a directory" in text:
        return folder_error(warehouse)
    if "No space left on device" in text or "Disk quota exceeded" in text:
        return UserError(f"{warehouse}: no space left on the device while writing; free some "
                         "space and try again")
    if "Permission denied" in text:
        what_to_do = ("choose a path in a folder you can write to" if writing
                      else "make the file readable, or give another path")
        return UserError(f"{warehouse}: permission denied; {what_to_do}")
    if "No such file or directory" in text:
        return UserError(f"{warehouse}: no such file or folder; check the path")
    if re.search(r"version|serializ", text, re.IGNORECASE):
        return UserError(
            f"{warehouse}: written by another DuckDB version ({text[:200]}); "
            "build it again with this version (cpc build)"
        )
    return UserError(f"{warehouse}: cannot open the DuckDB file ({text[:200]}); check the path")


def folder_error(warehouse: Path) -> UserError:
    """The one-line error for a folder given where a DuckDB file is expected."""
    return UserError(
        f"{warehouse}: is a folder, not a DuckDB file; give a file path such as "
        f"{warehouse / 'cpc.duckdb'} (or --target spark for a Spark warehouse folder)"
    )


def connect_duckdb(
    warehouse: Path, *, writing: bool = True, config: dict[str, str] | None = None
) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` (read-write), raising a one-line UserError when the file cannot be opened.

    Without ``config`` it also attaches to the database dbt-duckdb may still hold open in this
    process (DuckDB refuses a second handle with other settings).
    """
    try:
        if config:
            return duckdb.connect(str(warehouse), config=config)
        return duckdb.connect(str(warehouse))
    except duckdb.Error as exc:
        raise duckdb_error(warehouse, exc, writing=writing) from exc


def prepare_warehouse(warehouse: Path, target: str) -> Path:
    """Resolve a warehouse path to build or land into, check its kind and create its folder.

    A DuckDB warehouse is a file (its folder is created); a Spark warehouse is a folder.
    """
    warehouse = warehouse.expanduser().resolve()
    if target == "spark":
        if warehouse.exists() and not warehouse.is_dir():
            raise UserError(f"{warehouse}: is a file, not a folder; give a folder for the Spark "
                            "warehouse (or --target duckdb for a DuckDB file)")
        folder = warehouse
    else:
        if warehouse.is_dir():
            raise folder_error(warehouse)
        folder = warehouse.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        blocker = next((part for part in [folder, *folder.parents]
                        if part.exists() and not part.is_dir()), folder)
        raise UserError(f"{warehouse}: {blocker} is a file, not a folder; "
                        "choose another path") from exc
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UserError(f"{warehouse}: cannot create the folder {folder} ({reason}); "
                        "choose a path in a folder you can write to") from exc
    return warehouse


def _open_duckdb_for_reading(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a built DuckDB warehouse (one-line UserError otherwise)."""
    if warehouse.is_dir():
        raise folder_error(warehouse)
    busy = lock.holder(warehouse, "duckdb")
    # A build works on a copy and publishes it in one step: the published marts stay readable.
    # A land writes the file itself.
    if busy is not None and (busy.command != "build" or not warehouse.exists()):
        raise lock.busy_error(warehouse, busy, "wait for it to finish and try again")
    if not warehouse.exists():
        raise UserError(f"{warehouse}: no DuckDB warehouse here; run cpc build first")
    for attempt in range(1, PUBLISH_RACE_ATTEMPTS + 1):
        before = _file_identity(warehouse)
        try:
            return duckdb.connect(str(warehouse), read_only=True)
        except duckdb.ConnectionException:
            # dbt-duckdb, earlier in this process, still holds a read-write connection to the file.
            return connect_duckdb(warehouse, writing=False)
        except duckdb.Error as exc:
            if attempt == PUBLISH_RACE_ATTEMPTS or _file_identity(warehouse) == before:
                raise duckdb_error(warehouse, exc, writing=False) from exc
            # A build published a new file while DuckDB was opening this one (see
            # PUBLISH_RACE_ATTEMPTS): the new file is whole, open it again.
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


#: DuckDB opens a database file by its path three times while connecting (magic bytes, headers,
#: then the locked handle it reads the catalog with). A build that publishes between the second
#: and third open (a rename, :mod:`cpc.publish`) makes that connection fail with an IO error about
#: its metadata, since the headers and the catalog then come from two files. Both files are whole:
#: a reader connecting again reads the new one. cpc's readers try this many times, and only when
#: the file was replaced meanwhile; a notebook or BI tool does the same by reconnecting.
PUBLISH_RACE_ATTEMPTS = 3


def _file_identity(path: Path) -> tuple[int, int, int] | None:
    """The file's device, inode and change time (None if it is missing): a publish changes them."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino, status.st_ctime_ns


# --- the record of builds -----------------------------------------------------------------------


@dataclass(frozen=True)
class BuildRecord:
    """One build of a warehouse: who ran it on what input, when, and how it ended.

    ``status`` is running, success, failed or interrupted (``landed`` for a finished `cpc land`);
    times are UTC.
    """

    build_id: str
    input_dir: str
    target: str
    pid: int | None
    user_name: str | None
    host: str | None
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"
    message: str | None = None
    #: DuckDB: True for a build made in a working copy and published; False for one that was
    #: not (its marts were never published); None for one made in place.
    published: bool | None = None


def _user_name() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, no LOGNAME (containers)
        return None


def _spark_status_path(warehouse: Path) -> Path:
    return warehouse / SPARK_STATUS_FILE


def _write_spark_status(warehouse: Path, record: BuildRecord) -> None:
    path = _spark_status_path(warehouse)
    data = {key: (value.isoformat() if isinstance(value, datetime) else value)
            for key, value in asdict(record).items()}
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        scratch.write_text(json.dumps(data, indent=2), encoding="utf-8")
        scratch.replace(path)
    except OSError as exc:
        raise UserError(f"{warehouse}: cannot write {path.name} ({exc.strerror}); "
                        "choose a warehouse folder you can write to") from exc


def _read_spark_status(warehouse: Path) -> BuildRecord | None:
    path = _spark_status_path(warehouse)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("started_at", "finished_at"):
            data[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
        return BuildRecord(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise UserError(f"{path}: unreadable build record ({exc}); run cpc build again") from exc


def _insert_record(con: duckdb.DuckDBPyConnection, record: BuildRecord) -> None:
    con.execute(f"create schema if not exists {STATUS_SCHEMA}")
    con.execute(_STATUS_DDL)
    con.execute(_PUBLISHED_DDL)
    con.execute(
        f"insert into {STATUS_TABLE} (build_id, input_dir, target, pid, user_name, host,"
        " started_at, finished_at, status, message, published)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [record.build_id, record.input_dir, record.target, record.pid, record.user_name,
         record.host, record.started_at, record.finished_at, record.status, record.message,
         record.published],
    )


def record_build_start(
    warehouse: Path, target: str, input_dir: Path, *, published: bool | None = None
) -> BuildRecord:
    """Record that a build of ``input_dir`` into the warehouse has started (status running).

    ``published``: True when ``warehouse`` is a DuckDB build's working copy (the record becomes
    visible only once the copy is published). For DuckDB this opens the file briefly: call it
    before landing, while nothing else in this process holds the file.
    """
    record = BuildRecord(
        build_id=uuid.uuid4().hex, input_dir=str(input_dir), target=target, pid=os.getpid(),
        user_name=_user_name(), host=socket.gethostname(), started_at=lock.now_utc(),
        published=published if target == "duckdb" else None,
    )
    if target == "spark":
        _write_spark_status(warehouse, record)
        return record
    with connect_duckdb(warehouse) as con:
        _insert_record(con, record)
    return record


def record_unpublished_build_quietly(
    warehouse: Path, record: BuildRecord, status: str, message: str | None = None
) -> None:
    """Note in the published DuckDB warehouse a build that was not published (failed or
    stopped), so that reports can say their marts are the previous build's. Nothing is written
    when there is no published warehouse, or when a program holds it open (a reader's
    connection): the build's own error line has said what happened."""
    if not warehouse.is_file():
        return
    ended = BuildRecord(**{**asdict(record), "status": status, "message": message,
                           "finished_at": lock.now_utc(), "published": False})
    with suppress(UserError, duckdb.Error, OSError), connect_duckdb(warehouse) as con:
        _insert_record(con, ended)


def record_build_end(
    warehouse: Path, record: BuildRecord, status: str, message: str | None = None
) -> None:
    """Record how a build ended (success, failed or interrupted; landed for `cpc land`).

    For DuckDB this attaches to the file with default settings, so it works while dbt-duckdb
    still holds the database open in this process. Raises UserError when it cannot.
    """
    finished = BuildRecord(**{**asdict(record), "status": status, "message": message,
                              "finished_at": lock.now_utc()})
    if record.target == "spark":
        _write_spark_status(warehouse, finished)
        return
    with connect_duckdb(warehouse) as con:
        con.execute(
            f"update {STATUS_TABLE} set status = ?, message = ?, finished_at = ?"
            " where build_id = ?",
            [finished.status, finished.message, finished.finished_at, finished.build_id],
        )


def record_build_end_quietly(
    warehouse: Path, record: BuildRecord, status: str, message: str | None = None
) -> None:
    """:func:`record_build_end` for a build that is already failing: a record that cannot be
    written stays ``running``, which reports refuse just the same."""
    with suppress(UserError, duckdb.Error, OSError):
        record_build_end(warehouse, record, status, message)


def _last_duckdb_build(con: duckdb.DuckDBPyConnection) -> BuildRecord | None:
    """The warehouse's last recorded build, or None when it records none."""
    known = con.execute(
        "select count(*) from duckdb_tables()"
        " where database_name = current_database() and schema_name = ? and table_name = 'builds'",
        [STATUS_SCHEMA],
    ).fetchone()
    if not known or not known[0]:
        return None
    cursor = con.execute(f"select * from {STATUS_TABLE} order by started_at desc limit 1")
    row = cursor.fetchone()
    if row is None:
        return None
    names = [column[0] for column in cursor.description or []]
    return BuildRecord(**dict(zip(names, row, strict=True)))


def _last_published_start(con: duckdb.DuckDBPyConnection) -> str:
    """When the build whose marts the warehouse holds started ('an earlier build' if unknown)."""
    row = con.execute(
        f"select max(started_at) from {STATUS_TABLE} where status = 'success'"
    ).fetchone()
    return f"the build started {lock.format_time(row[0])}" if row and row[0] else "an earlier build"


def unpublished_note(last: BuildRecord, shown: str) -> str:
    """The note above a report whose warehouse's last build was not published."""
    started = lock.format_time(last.started_at)
    if last.status == "failed":
        reason = " ".join((last.message or "").split())[:300] or "no reason recorded"
        what = f"failed ({reason})"
    else:
        what = "was stopped" if last.status == "interrupted" else f"ended {last.status}"
    return f"note: the last build (started {started}) {what}; these are the marts of {shown}"


def refuse_unfinished(warehouse: Path, target: str, last: BuildRecord | None) -> None:
    """Raise a one-line UserError unless the last recorded build succeeded (or none is recorded)
    or was not published (the marts are then a whole earlier build's).

    A failed build made in place refuses too: dbt stops models part-way, so it can leave marts
    from two inputs side by side.
    """
    if last is None or last.status in ("success", "landed") or last.published is False:
        return
    started = lock.format_time(last.started_at)
    if last.status == "running":
        busy = lock.holder(warehouse, target)
        if busy is not None:
            raise lock.busy_error(warehouse, busy, "wait for it to finish and try again")
    if last.status == "failed":
        reason = " ".join((last.message or "").split())[:300] or "no reason recorded"
        raise UserError(
            f"{warehouse}: the last build (started {started}) failed ({reason}); its marts may "
            "mix two inputs — fix that and run cpc build again"
        )
    raise UserError(
        f"{warehouse}: the last build (started {started}) did not finish; its marts may mix two "
        "inputs — run cpc build again"
    )


def last_build(warehouse: Path, target: str = "duckdb") -> BuildRecord | None:
    """The warehouse's last recorded build (None if it records none). Opens DuckDB read-only."""
    warehouse = warehouse.expanduser().resolve()
    if target == "spark":
        return _read_spark_status(warehouse)
    con = _open_duckdb_for_reading(warehouse)
    try:
        return _last_duckdb_build(con)
    finally:
        con.close()


# --- reading ------------------------------------------------------------------------------------


@contextmanager
def open_duckdb_reader(
    warehouse: Path, say: Callable[[str], None] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-only connection to a built DuckDB warehouse, refused (one-line UserError)
    as :func:`open_warehouse` refuses one; ``say`` gets the note of an unpublished last build."""
    warehouse = warehouse.expanduser().resolve()
    con = _open_duckdb_for_reading(warehouse)
    try:
        last = _last_duckdb_build(con)
        refuse_unfinished(warehouse, "duckdb", last)
        if last is not None and last.published is False and say is not None:
            say(unpublished_note(last, _last_published_start(con)))
        yield con
    finally:
        con.close()


@contextmanager
def open_warehouse(
    warehouse: Path,
    target: str = "duckdb",
    spark_session: Any = None,
    say: Callable[[str], None] | None = None,
) -> Iterator[Query]:
    """Yield a query function over the warehouse's marts (schema `marts`).

    Refuses (one-line UserError) a warehouse that cannot be opened, one that a cpc process is
    landing into or building in place (Spark) now, and one whose last recorded build did not
    succeed and may have left mixed marts. A DuckDB warehouse being built is read as last
    published; when its last build was not published, ``say`` gets a note saying so.
    """
    warehouse = warehouse.expanduser().resolve()
    if target == "duckdb":
        with open_duckdb_reader(warehouse, say=say) as con:

            def query(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
                try:
                    if params:
                        cursor = con.execute(_PARAMETER.sub(r"$\1", sql), params)
                    else:
                        cursor = con.execute(sql)
                except duckdb.Error as exc:
                    first = str(exc).strip().splitlines()[0]
                    raise UserError(f"{warehouse}: {first} (is it built with this version? "
                                    "run `cpc build`)") from exc
                names = [column[0] for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

            yield query
        return
    if target != "spark":
        raise UserError(f"unknown target '{target}' (choose duckdb or spark)")
    if not warehouse.is_dir():
        raise UserError(f"{warehouse}: no Spark warehouse folder here; "
                        "run cpc build --target spark first")
    busy = lock.holder(warehouse, target)
    if busy is not None:
        raise lock.busy_error(warehouse, busy, "wait for it to finish and try again")
    refuse_unfinished(warehouse, target, _read_spark_status(warehouse))
    from cpc import spark as spark_engine

    session = spark_session or spark_engine.spark_session(warehouse)
    try:
        def spark_query(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
            try:
                frame = session.sql(sql, args=params) if params else session.sql(sql)
                return [row.asDict() for row in frame.collect()]
            except Exception as exc:  # pyspark's AnalysisException and friends, Py4J errors
                text = str(exc).strip()
                first = text.splitlines()[0] if text else type(exc).__name__
                raise UserError(f"{warehouse}: {first[:300]} (is it built with this version? "
                                "run `cpc build --target spark`)") from exc

        yield spark_query
    finally:
        if spark_session is None:
            spark_engine.stop(session)

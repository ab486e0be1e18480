"""Build a DuckDB warehouse beside the one readers use, then publish it in one step.

`cpc build` never writes the file readers open. It copies the published warehouse ``W`` (when
there is one) into a working folder beside it, ``.W.build/``, as ``cpc.duckdb`` whatever ``W`` is
called, lands and builds that copy, and on success renames it over ``W``. DuckDB names a database
after its file, so every build's database is ``cpc``: dbt's parse of the project, which records
that name in every node, then carries over from one warehouse to the next (:mod:`cpc.parse_cache`).
A view keeps resolving under the published name: DuckDB stores a reference to its own database
without the database's name. The rename is atomic on one file system, so:

- a reader connected before the swap keeps reading the file it opened, the previous marts, until
  it reconnects; a reader connecting after it sees the new build; none sees a half-built one;
- DuckDB opens a file by its path three times while connecting: a connection made at the very
  instant of the rename can fail (the headers of one file, the catalog of the other) and
  succeeds when made again (cpc's readers retry: :data:`cpc.warehouse.PUBLISH_RACE_ATTEMPTS`);
- a reader (a notebook, a BI tool, `cpc report`) never makes a build fail: only a program
  holding ``W`` open for writing does, with one line naming it (nothing could be published
  without losing what it writes);
- a build that fails or is stopped removes its working folder and leaves the last good marts
  published; a killed one leaves the folder, which the next build clears;
- so the working file need not reach the disk while it is built: DuckDB writes it without
  syncing each commit (:data:`WORKING_FSYNC_MODE`), and :func:`publish` syncs it once before the
  rename. A machine that stops mid-build leaves a working folder the next build clears.

Spark warehouses (a folder with its metastore) are built in place.

Exporting the marts for BI tools (`cpc publish`, Parquet and a DuckDB file of views) is another
thing: :mod:`cpc.bi_export`.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from cpc import warehouse as store
from cpc.errors import UserError

#: DuckDB's fsync_mode for a build's working file: no sync at each commit (it is synced once, when
#: published). The dbt profile reads it from CPC_DUCKDB_FSYNC_MODE.
WORKING_FSYNC_MODE = "NONE"


def working_folder(warehouse: Path) -> Path:
    """The folder a build of ``warehouse`` works in: ``.W.build`` beside it."""
    return warehouse.with_name(f".{warehouse.name}.build")


#: The working file's name, the same for every warehouse (so is the database name dbt parses with).
WORKING_NAME = "cpc.duckdb"


def working_file(warehouse: Path) -> Path:
    """The file a build of ``warehouse`` writes: :data:`WORKING_NAME` in the working folder."""
    return working_folder(warehouse) / WORKING_NAME


def _working_copy_error(warehouse: Path, exc: OSError) -> UserError:
    """The one line for a working copy that cannot be written (a full disk, or another reason)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return UserError(
            f"{warehouse}: no space left on the device while building beside it "
            f"({working_folder(warehouse)}); free some space and run cpc build again — "
            "the published warehouse is unchanged"
        )
    return UserError(
        f"{warehouse}: cannot write the build's working copy in {working_folder(warehouse)} "
        f"({exc.strerror or type(exc).__name__}); the published warehouse is unchanged"
    )


def _copy_published(warehouse: Path, working: Path) -> None:
    """Copy the published file to ``working``, refusing a file some program holds for writing.

    A read-only connection is held during the copy: DuckDB then refuses writers, and a reader's
    connection does not get in the way. A write-ahead log left by a writer that stopped without
    closing is folded into the file first, so that the copy misses nothing.
    """
    if warehouse.with_name(warehouse.name + ".wal").exists():
        store.connect_duckdb(warehouse).close()  # opening read-write replays and checkpoints it
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise store.duckdb_error(warehouse, exc, writing=True) from exc
    try:
        shutil.copyfile(warehouse, working)
    except OSError as exc:
        raise _working_copy_error(warehouse, exc) from exc
    finally:
        con.close()


@contextmanager
def working_copy(warehouse: Path) -> Iterator[Path]:
    """Yield the working file of a build of ``warehouse`` (a copy of the published one, or a new
    file); the working folder is removed on the way out, whatever happens. The caller holds the
    warehouse's lock, so no other build uses the folder."""
    folder = working_folder(warehouse)
    shutil.rmtree(folder, ignore_errors=True)  # what a killed build left
    try:
        folder.mkdir()
    except OSError as exc:
        raise _working_copy_error(warehouse, exc) from exc
    try:
        working = working_file(warehouse)
        if warehouse.exists():
            _copy_published(warehouse, working)
        yield working
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def publish(working: Path, warehouse: Path) -> None:
    """Put the built working file in the published one's place, in one rename.

    Every connection to the working file must be closed (DuckDB then has checkpointed it: a
    write-ahead log left beside it would be folded in first, so that nothing is lost).
    """
    if working.with_name(working.name + ".wal").exists():
        store.connect_duckdb(working).close()
    try:
        _sync(working)  # its content is on the disk before its name is
        os.replace(working, warehouse)
    except OSError as exc:
        raise UserError(
            f"{warehouse}: cannot publish the build ({exc.strerror or type(exc).__name__}); "
            "the published warehouse is unchanged"
        ) from exc
    with suppress(OSError):
        _sync(warehouse.parent)  # the directory entry is durable once the folder is synced


def _sync(path: Path) -> None:
    """Flush a file's (or a folder's) content to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

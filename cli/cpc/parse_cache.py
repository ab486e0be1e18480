"""Reuse dbt's parse of the project from one warehouse's build in the next warehouse's.

dbt parses the whole project (about 7 s here) unless the target folder holds the
``partial_parse.msgpack`` of an earlier parse whose inputs match: the same dbt version, command
line vars, profile connection (for DuckDB, the warehouse's path as the profile gives it) and
project files. A new warehouse has an empty target folder, so every first build parsed in full.

This keeps a copy of each parse in a cache slot named by what decides it (project folder, dbt
version, target, warehouse file name), puts the slot's copy in the target folder before dbt runs
and keeps the folder's copy after it. A build writes a working file of one name whatever the
warehouse is called (:mod:`cpc.publish`), so every DuckDB build of the project shares one slot. dbt
still checks the copy it is given, file by file, and parses again whatever differs, so a stale slot
costs a parse and never a wrong result. (For the connection to match, :func:`cpc.build.run_dbt`
runs DuckDB builds from the warehouse's folder with the file name as the profile's path.) cpc gives
dbt no vars: the rules reach the models in an environment variable that only running a node reads
(macro ``setting``), so the parse does not depend on them and inputs with different rules share a
slot.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import suppress
from pathlib import Path

from cpc import PROJECT_DIR

PARSE_FILE = "partial_parse.msgpack"
#: Slots kept; the least recently used beyond this are removed.
KEEP_SLOTS = 24


def cache_dir() -> Path:
    """``$CPC_CACHE_DIR/dbt-parse``, or the user's cache folder (``$XDG_CACHE_HOME`` or
    ``~/.cache``) ``/cost-per-customer/dbt-parse``."""
    root = os.environ.get("CPC_CACHE_DIR")
    if root:
        return Path(root) / "dbt-parse"
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = Path.home() / ".cache"
        except RuntimeError:  # no home folder known: the system's temporary folder
            base = Path(tempfile.gettempdir())
    return Path(base) / "cost-per-customer" / "dbt-parse"


def slot(target: str, warehouse_name: str) -> Path:
    """The cache file for a parse of this project on ``target`` for warehouses of this file name."""
    from dbt.version import __version__ as dbt_version

    key = json.dumps([str(PROJECT_DIR), dbt_version, target, warehouse_name])
    return cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.msgpack"


def reuse(cached: Path, target_path: Path) -> None:
    """Put the cached parse in ``target_path`` for dbt to check and use. When there is none, remove
    the parse the folder holds from an earlier build: dbt would take it whatever project folder it
    was made in (it keeps the paths of that folder's seeds and files), so after the project moved
    a build would look for its seeds where they were. dbt then parses in full."""
    if not cached.is_file():
        with suppress(OSError):
            (target_path / PARSE_FILE).unlink(missing_ok=True)
        return
    with suppress(OSError):
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, target_path / PARSE_FILE)
        os.utime(cached)  # recently used


def keep(target_path: Path, cached: Path) -> None:
    """Keep the parse dbt left in ``target_path`` in the cache (written whole, then renamed, so a
    concurrent build reads the old copy or the new one), and prune the least recently used."""
    parsed = target_path / PARSE_FILE
    if not parsed.is_file():
        return
    with suppress(OSError):
        if cached.is_file() and cached.stat().st_size == parsed.stat().st_size and \
                cached.read_bytes() == parsed.read_bytes():
            return
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f".{cached.name}.{os.getpid()}")
        shutil.copyfile(parsed, partial)
        os.replace(partial, cached)
        slots = sorted(cached.parent.glob("*.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in slots[KEEP_SLOTS:]:
            old.unlink(missing_ok=True)

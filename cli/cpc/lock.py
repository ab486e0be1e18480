"""One build per warehouse at a time.

`cpc build` and `cpc land` hold an exclusive advisory lock (``flock``) on a small file: ``W.lock``
beside the DuckDB file ``W``, or ``.cpc.lock`` inside a Spark warehouse folder. A second build or
land of the same warehouse fails at once (or, with ``--wait``, waits for the first to finish).
The operating system releases the lock when its holder exits, however it exits (an error, Ctrl-C,
``kill -9``), so a lock is never left behind. While the lock is held the file names its holder
(pid, start time, command) for the message the other process prints; the holder removes the file
as it lets go (a killed one leaves it, harmless: an unlocked file holds nothing).

POSIX only (``fcntl``), like the rest of the tool.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from cpc.errors import UserError

#: The lock file inside a Spark warehouse folder.
SPARK_LOCK_NAME = ".cpc.lock"
#: Seconds a process retries before deciding the lock is really held. Readers such as
#: `cpc report` take it (shared) for an instant to see whether a build runs; that must not make
#: a build starting at the same moment fail.
CONTENTION_RETRY = 1.0


def now_utc() -> datetime:
    """The current time in UTC, without time zone (as stored in the warehouse)."""
    return datetime.now(UTC).replace(tzinfo=None)


def format_time(moment: datetime | None) -> str:
    """'YYYY-MM-DD HH:MM:SS UTC' (a UTC time without time zone), or 'an unknown time'."""
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment is not None else "an unknown time"


@dataclass(frozen=True)
class Holder:
    """The process holding a warehouse's lock, as it recorded itself in the lock file."""

    pid: int | None = None
    started_at: str | None = None
    command: str | None = None

    @property
    def pid_text(self) -> str:
        """'pid N' (or 'an unknown pid' when the holder had not written its name yet)."""
        return f"pid {self.pid}" if self.pid is not None else "an unknown pid"

    def describe(self) -> str:
        """'pid N, started at T'."""
        return f"{self.pid_text}, started at {self.started_at or 'an unknown time'}"


def lock_path(warehouse: Path, target: str) -> Path:
    """The lock file of a warehouse: ``W.lock`` beside a DuckDB file, ``W/.cpc.lock`` for Spark."""
    if target == "spark":
        return warehouse / SPARK_LOCK_NAME
    return warehouse.with_name(warehouse.name + ".lock")


def busy_error(warehouse: Path, holder: Holder, what_to_do: str) -> UserError:
    """The one-line error for a warehouse another cpc process is building."""
    return UserError(
        f"{warehouse} is being built by another cpc process ({holder.describe()}); {what_to_do}"
    )


def _read_holder(path: Path) -> Holder:
    """What the holder wrote into the lock file (retrying briefly: it writes just after locking)."""
    deadline = time.monotonic() + CONTENTION_RETRY
    while True:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Holder(pid=int(data["pid"]), started_at=str(data["started_at"]),
                          command=str(data.get("command") or ""))
        except (OSError, ValueError, KeyError, TypeError):
            if time.monotonic() > deadline:
                return Holder()
            time.sleep(0.05)


def _try_lock(handle: IO[str], mode: int) -> bool:
    """Take the lock without blocking, retrying for :data:`CONTENTION_RETRY` seconds."""
    deadline = time.monotonic() + CONTENTION_RETRY
    while True:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def holder(warehouse: Path, target: str) -> Holder | None:
    """The cpc process building (or landing into) the warehouse now, or None.

    Takes the lock shared for an instant; never creates the lock file. A lock file that cannot
    be opened (e.g. another user's) is taken as free: DuckDB's own lock still guards the file.
    This process's own lock (held on another handle) does not count.
    """
    path = lock_path(warehouse, target)
    try:
        handle = path.open("r", encoding="utf-8")
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            current = _read_holder(path)
            return None if current.pid == os.getpid() else current
        except OSError:
            return None
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def _open_lock_file(path: Path, warehouse: Path) -> IO[str]:
    """Open (creating it if missing) the lock file; a one-line UserError if it cannot be."""
    try:
        # "a": never truncate what a holder wrote before this process holds the lock.
        return path.open("a", encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UserError(
            f"{warehouse}: cannot create its lock file {path} ({reason}); "
            "choose a warehouse path in a folder you can write to"
        ) from exc


def _is_current(handle: IO[str], path: Path) -> bool:
    """Whether the locked handle is still the file at ``path`` (a holder removes the file as it
    lets go: a lock taken on the removed file must be taken again on the new one)."""
    try:
        mine, now = os.fstat(handle.fileno()), os.stat(path)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (now.st_dev, now.st_ino)


@contextmanager
def hold(
    warehouse: Path,
    target: str,
    *,
    command: str,
    wait: bool = False,
    say: Callable[[str], None] = print,
) -> Iterator[None]:
    """Hold the warehouse's lock for the duration of the block.

    Raises UserError (one line) when another cpc process holds it and ``wait`` is False, or when
    the lock file cannot be created (e.g. a read-only folder). With ``wait`` it says one line
    ("waiting for the build of W by pid N ...") and blocks until the other process is done;
    Ctrl-C while waiting raises KeyboardInterrupt as usual. The lock file is removed on the way
    out, so none is left beside the warehouse.
    """
    path = lock_path(warehouse, target)
    waited = False
    while True:
        handle = _open_lock_file(path, warehouse)
        try:
            if not _try_lock(handle, fcntl.LOCK_EX):
                current = _read_holder(path)
                if not wait:
                    raise busy_error(warehouse, current, "wait for it or use --wait")
                if not waited:
                    say(f"waiting for the build of {warehouse} by {current.pid_text} ...")
                    waited = True
                fcntl.flock(handle, fcntl.LOCK_EX)
            if _is_current(handle, path):
                break
        except BaseException:
            handle.close()
            raise
        handle.close()
    with handle:
        try:
            me = {"pid": os.getpid(), "started_at": format_time(now_utc()), "command": command}
            handle.truncate(0)
            handle.write(json.dumps(me))
            handle.flush()
            yield
        finally:
            with suppress(OSError):
                path.unlink()
            fcntl.flock(handle, fcntl.LOCK_UN)

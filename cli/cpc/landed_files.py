"""The record of the files a landing read, so that the next landing keeps the ones that did not change.

Providers re-deliver an export many times (the month-to-date bill several times a day), and an
input folder keeps the files of earlier months. :func:`cpc.landing.land` therefore records each
file it lands in ``<schema>._landed_files``: its path, the table it landed in, its size, the
sha256 of its bytes, and what the landing said of it (rows, conventions, notes). The next landing
into the same warehouse keeps the rows of a file whose path, table, size and content hash are
unchanged where they are in the table it landed in, instead of reading the file again; every other
file is read, and its rows replace the file's earlier ones. A CSV file whose text begins with all
of the text the last landing read of it (the month-to-date export re-delivered with more records)
has only its new records read: :func:`scan_text` finds where the earlier text ends, and the landing
copies the file's earlier rows from the table and reads the records after them.

A file is read again whenever something it was read by could have changed: the landing code (the
modules listed in :data:`_LANDING_CODE`) or the folder's input.yml (declared conventions). A
file whose content is the same but whose modification time moved keeps its rows with the new
``_delivered_at`` (deduplication picks the latest delivery by it).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cpc import conventions
from cpc.sql_text import identifier as _ident
from cpc.sql_text import literal as _literal

#: The record's table name in the landing schema.
RECORD_TABLE = "_landed_files"

#: The code a landed row depends on: a change to any of it reads every file again.
_PACKAGE = Path(__file__).resolve().parent
_LANDING_CODE = ("landing.py", "landed_files.py", "conventions.py", "formats")

#: The first two bytes of a gzip file.
_GZIP_MAGIC = b"\x1f\x8b"

#: How much of a file's beginning may hold its header lines (the landing's header probe reads no
#: further).
HEADER_LIMIT = 16 << 20

_RECORD_COLUMNS = (
    ("source_file", "VARCHAR"),
    ("landed_table", "VARCHAR"),
    ("size_bytes", "BIGINT"),
    ("content_sha256", "VARCHAR"),
    ("landing_key", "VARCHAR"),
    ("details", "VARCHAR"),
    ("appended_to_size_bytes", "BIGINT"),
    ("appended_to_sha256", "VARCHAR"),
    ("appended_after_row", "BIGINT"),
)


@dataclass(frozen=True)
class LandedFile:
    """One file as a landing recorded it."""

    source_file: str
    landed_table: str
    size_bytes: int
    content_sha256: str
    #: What the landing said of the file (see :func:`details_of`).
    details: dict[str, Any]
    #: When the file went on from the version the last landing read (its records appended, its
    #: decimal mark and date order the same): that version's size and sha256, and its rows, which
    #: are this version's first rows as they were.
    appended_to: tuple[int, str, int] | None = None


def delivered_at(path: Path) -> str:
    """The file's modification time, UTC ISO 8601 text: its rows' ``_delivered_at``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(path.stat().st_mtime))


def landing_key(input_dir: Path) -> str:
    """A hash of what every landed row depends on beyond its own file: the landing code and the
    folder's input.yml."""
    digest = hashlib.sha256()
    for name in _LANDING_CODE:
        location = _PACKAGE / name
        for path in sorted(location.rglob("*.py")) if location.is_dir() else [location]:
            digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    settings = input_dir / conventions.SETTINGS_FILE
    digest.update(settings.read_bytes() if settings.is_file() else b"no input.yml")
    return digest.hexdigest()


def is_gzip(path: Path) -> bool:
    """Whether a file is gzip-compressed, told by its first two bytes whatever its name."""
    with path.open("rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def fingerprint(path: Path) -> tuple[int, str]:
    """The file's size in bytes and the sha256 of its bytes. A gzip file's header time (bytes 4 to
    7) is left out: the same data compressed again at another time is the same file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        head = handle.read(10)
        if head[:2] == _GZIP_MAGIC and len(head) == 10:
            head = head[:4] + head[8:]
        digest.update(head)
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return path.stat().st_size, digest.hexdigest()


@dataclass(frozen=True)
class TextScan:
    """What one pass over a CSV file's text (decompressed) found."""

    #: The text's length in bytes and its sha256: recorded, so that the next landing can tell
    #: whether the file then begins with this text.
    text: dict[str, Any]
    #: Whether the file begins with the whole text the last landing read of it, which ended at a
    #: line end, and goes on after it: the records after it were written to the ``tail`` file,
    #: behind the file's own header lines.
    appended: bool


def scan_text(
    path: Path, gzipped: bool, earlier: dict[str, Any] | None, header_lines: int, tail: Path
) -> TextScan | None:
    """Read a CSV file's text (decompressed when ``gzipped``) once: its length and sha256 and, given the
    ``text`` the last landing recorded of it (``earlier``), whether it goes on from that text. If
    so, its first ``header_lines`` lines (blank lines and the header) and everything after the
    earlier text are written to ``tail``. None when the file cannot be read (the landing then
    reads it whole, and says what is wrong with it)."""
    whole = hashlib.sha256()
    prefix_size = int(earlier["bytes"]) if earlier else 0
    prefix = hashlib.sha256()
    state = "checking" if prefix_size > 0 else "read whole"
    head = b""
    head_end: int | None = None
    position = 0
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rb") as handle, tail.open("wb") as out:
            for block in iter(lambda: handle.read(1 << 20), b""):
                whole.update(block)
                if head_end is None and len(head) < HEADER_LIMIT:
                    head += block
                    head_end = _after_lines(head, header_lines)
                if state == "checking":
                    # Every block starts inside the earlier text until the one that reaches its end.
                    inside = block[: prefix_size - position]
                    prefix.update(inside)
                    if position + len(block) >= prefix_size:
                        # The header lines must end where the landing's probe ends them: a
                        # carriage return alone would end a line there, and not here.
                        goes_on = (inside.endswith(b"\n") and prefix.hexdigest() == earlier["sha256"]
                                   and head_end is not None and head_end <= prefix_size
                                   and b"\r" not in head[:head_end].replace(b"\r\n", b"\n"))
                        state = "appending" if goes_on else "read whole"
                        if goes_on:
                            out.write(head[:head_end])
                            out.write(block[len(inside):])
                elif state == "appending":
                    out.write(block)
                position += len(block)
    except (OSError, EOFError, zlib.error):
        return None
    return TextScan({"bytes": position, "sha256": whole.hexdigest()}, state == "appending")


def _after_lines(data: bytes, lines: int) -> int | None:
    """The offset just after the ``lines``-th line end (a UTF-8 byte order mark is part of the
    first line), or None when ``data`` holds fewer."""
    offset = 0
    for _ in range(lines):
        found = data.find(b"\n", offset)
        if found < 0:
            return None
        offset = found + 1
    return offset


def previous(con: duckdb.DuckDBPyConnection, schema: str, key: str, tables: list[str]) -> dict[str, LandedFile]:
    """The files the last landing into ``schema`` recorded, by path; empty when there was none,
    when it was made by other landing code or another input.yml (``key``), or when one of the
    landed ``tables`` is missing."""
    existing = {
        name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_catalog = current_database()",
            [schema],
        ).fetchall()
    }
    if RECORD_TABLE not in existing or not set(tables) <= existing:
        return {}
    rows = con.execute(
        f"SELECT source_file, landed_table, size_bytes, content_sha256, landing_key, details "
        f"FROM {_ident(schema)}.{_ident(RECORD_TABLE)}"
    ).fetchall()
    if any(row[4] != key for row in rows):
        return {}
    return {row[0]: LandedFile(row[0], row[1], int(row[2]), row[3], json.loads(row[5])) for row in rows}


def create_record(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """Create (replacing) an empty record table."""
    columns = ", ".join(f"{_ident(name)} {kind}" for name, kind in _RECORD_COLUMNS)
    con.execute(f"CREATE OR REPLACE TABLE {target} ({columns})")


def write_record(con: duckdb.DuckDBPyConnection, target: str, files: list[LandedFile], key: str) -> None:
    """Append the given files to the record table ``target``."""
    if not files:
        return
    con.executemany(
        f"INSERT INTO {target} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[file.source_file, file.landed_table, file.size_bytes, file.content_sha256, key,
          json.dumps(file.details, sort_keys=True), *(file.appended_to or (None, None, None))] for file in files],
    )


def details_of(summary: Any, rel: str, delivered: str, text: dict[str, Any] | None) -> dict[str, Any]:
    """What the landing summary says of one file, to give back when the file is kept, and the
    length and sha256 of its text (CSV, :func:`scan_text`)."""
    decided = summary.file_conventions.get(rel)
    return {
        "text": text,
        "rows": summary.file_rows.get(rel, 0),
        "delivered_at": delivered,
        "unknown_columns": summary.unknown_columns.get(rel),
        "multiline_records": summary.multiline_records.get(rel),
        "conventions": dataclasses.asdict(decided) if decided else None,
        "delimiter": summary.file_delimiters.get(rel),
        "notes": [note for note in summary.notes if note.startswith((f"{rel} ", f"{rel}:"))],
    }


def restore(summary: Any, rel: str, details: dict[str, Any]) -> int:
    """Put a kept file's details back into the landing summary; returns its rows."""
    rows = int(details["rows"])
    summary.file_rows[rel] = rows
    if details.get("unknown_columns"):
        summary.unknown_columns[rel] = list(details["unknown_columns"])
    if details.get("multiline_records"):
        summary.multiline_records[rel] = int(details["multiline_records"])
    if details.get("conventions"):
        summary.file_conventions[rel] = conventions.FileConventions(**details["conventions"])
    if details.get("delimiter") is not None:
        summary.file_delimiters[rel] = details["delimiter"]
    summary.notes.extend(details.get("notes") or [])
    return rows


def merge_into(
    con: duckdb.DuckDBPyConnection,
    table: str,
    landed: str,
    kept: dict[str, str],
    before: dict[str, LandedFile],
    marks: dict[str, tuple[str, str | None]],
) -> None:
    """Make ``table`` (the last landing's) hold what this landing landed, in place: the rows of
    every file but the kept ones (path -> their delivery time now) are deleted, the kept files'
    ``_delivered_at`` moved where the file was touched since, the decimal mark and date order of
    the files re-delivered with records appended (``marks``, decided again over all their rows)
    set on their earlier rows where they changed, and the rows read now (``landed``) inserted. Run
    it inside the transaction that publishes the landing: the kept rows stay where they are, so a
    landing that reads one file of many, or the new records of one, writes only those rows."""
    files = ", ".join(_literal(rel) for rel in sorted(kept))
    con.execute(f"DELETE FROM {table} WHERE _source_file NOT IN ({files})")
    touched = [(rel, now) for rel, now in sorted(kept.items()) if before[rel].details.get("delivered_at") != now]
    if touched:
        values = ", ".join(f"({_literal(rel)}, {_literal(now)})" for rel, now in touched)
        con.execute(
            f"UPDATE {table} SET _delivered_at = touched.now FROM (VALUES {values}) AS touched(rel, now) "
            f"WHERE {table}._source_file = touched.rel"
        )
    for rel, (mark, order) in sorted(marks.items()):
        con.execute(
            f"UPDATE {table} SET _decimal_mark = ?, _date_order = ? WHERE _source_file = ? "
            "AND (_decimal_mark IS DISTINCT FROM ? OR _date_order IS DISTINCT FROM ?)",
            [mark, order, rel, mark, order],
        )
    con.execute(f"INSERT INTO {table} SELECT * FROM {landed}")

"""How each input file writes its numbers and dates, decided per file from its own values.

A value such as ``1,000`` or ``04/03/24`` can be read two ways. Landing never guesses: it decides,
per file, the **decimal mark** and the **order of slash dates** from values that can only be read
one way, records them with every landed row (lineage columns ``_decimal_mark`` and
``_date_order``), and staging parses each value by its file's conventions (the macros
``parse_decimal`` and ``parse_timestamp``).

Decimal mark (``point`` or ``comma``), from the file's number columns:

* ``10.5``, ``1,000.50``, ``1,000,000`` can only be read with a decimal point; ``10,5``,
  ``1.000,50``, ``0,500`` only with a decimal comma. Grouping separators (``,`` ``.`` or a space)
  count only in groups of three after a first group of one to three digits that is not 0.
* A file showing only one of the two marks uses it. A file showing neither reads as ``point`` when
  it is comma-delimited (a comma cannot be both its delimiter and its decimal mark unquoted),
  parquet or JSON (typed numbers land as decimal-point text), and is ``unproven`` when it is
  semicolon-, tab- or pipe-delimited (such a file may write decimal commas unquoted). A file showing
  both is ``mixed``. In an ``unproven`` or ``mixed`` file a value is read only where it has one
  reading (``10,5`` is 10.5 but ``1,000`` is quarantined with the reason).

Date order (``day_first`` or ``month_first``), from the file's date columns: a slash date whose
first number is over 12 (``25/03/24``) proves day-first, one whose second number is over 12
(``03/25/24``) month-first. A file with slash dates and no proof, or with proof of both orders,
stops the landing with one line naming the file, unless ``input.yml`` declares its order.
Year-first slash dates (``2024/03/25``) and ISO 8601 need no order.

``input.yml`` (optional, in the input folder) declares what a file cannot show::

    decimal_mark: comma            # point | comma: every file (default: decided per file)
    date_order: day_first          # day_first | month_first
    files:                         # per file or glob relative to the input folder; wins
      "billing/eu/*.csv": {decimal_mark: comma, date_order: day_first}

A declared convention wins over the file's evidence; a value that contradicts it does not read
and its row is quarantined.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from cpc.errors import UserError
from cpc.sql_text import identifier as _ident
from cpc.sql_text import literal as _literal

#: Where a file's conventions are declared, in the input folder.
SETTINGS_FILE = "input.yml"
DECIMAL_MARKS = ("point", "comma")
DATE_ORDERS = ("day_first", "month_first")

#: The shapes a number may take with each decimal mark, after currency signs are removed and the
#: text trimmed. The same patterns are the macros decimal_point_pattern and decimal_comma_pattern
#: (a test keeps them equal).
POINT_PATTERN = r"^[+-]?([0-9]+|[1-9][0-9]{0,2}([, ][0-9]{3})+)?([.][0-9]*)?([eE][+-]?[0-9]+)?$"
COMMA_PATTERN = r"^[+-]?([0-9]+|[1-9][0-9]{0,2}([. ][0-9]{3})+)?(,[0-9]*)?([eE][+-]?[0-9]+)?$"
#: A day/month/year or month/day/year slash date, optionally followed by a time.
SLASH_DATE_PATTERN = r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}([0-9]{2})?([ T].*)?$"


@dataclass(frozen=True)
class Declared:
    """What input.yml declares for one file (None: decide from the file)."""

    decimal_mark: str | None = None
    date_order: str | None = None


@dataclass
class InputSettings:
    """The parsed input.yml: defaults for every file and per-glob overrides."""

    default: Declared
    files: list[tuple[str, Declared]]
    source: str = SETTINGS_FILE

    def for_file(self, rel: str) -> Declared:
        """The declared conventions of one file: the last matching glob, else the defaults."""
        mark, order = self.default.decimal_mark, self.default.date_order
        for pattern, declared in self.files:
            if fnmatch.fnmatchcase(rel, pattern):
                mark = declared.decimal_mark or mark
                order = declared.date_order or order
        return Declared(mark, order)


def _declared(where: str, data: object) -> Declared:
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a mapping with decimal_mark and/or date_order")
    unknown = sorted(set(data) - {"decimal_mark", "date_order"})
    if unknown:
        raise UserError(f"{where}: unknown setting {unknown[0]!r} (allowed: decimal_mark, date_order)")
    mark, order = data.get("decimal_mark"), data.get("date_order")
    if mark is not None and mark not in DECIMAL_MARKS:
        raise UserError(f"{where}: decimal_mark {mark!r} is not one of: {', '.join(DECIMAL_MARKS)}")
    if order is not None and order not in DATE_ORDERS:
        raise UserError(f"{where}: date_order {order!r} is not one of: {', '.join(DATE_ORDERS)}")
    return Declared(mark, order)


def load_settings(input_dir: Path) -> InputSettings:
    """input.yml of an input folder (empty settings when there is none); UserError when malformed."""
    path = Path(input_dir) / SETTINGS_FILE
    if not path.is_file():
        return InputSettings(Declared(), [])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = " ".join(str(exc).split())[:200]
        raise UserError(f"{SETTINGS_FILE}: cannot read: {first}") from exc
    if not isinstance(data, dict):
        raise UserError(f"{SETTINGS_FILE}: expected a mapping (decimal_mark, date_order, files)")
    files = data.pop("files", None) or {}
    default = _declared(SETTINGS_FILE, data)
    if not isinstance(files, dict):
        raise UserError(f"{SETTINGS_FILE}: files: expected a mapping of file globs to settings")
    per_file = [
        (str(pattern), _declared(f"{SETTINGS_FILE}: files: {pattern}", value))
        for pattern, value in files.items()
    ]
    return InputSettings(default, per_file)


@dataclass(frozen=True)
class FileConventions:
    """How one landed file writes numbers and dates, and what showed it."""

    decimal_mark: str
    date_order: str | None
    #: Values that can be read two ways (quarantined), with an example.
    ambiguous_numbers: int = 0
    ambiguous_example: str | None = None
    #: Why: 'declared', or an example value that proves it, or '' (the delimiter's default).
    decimal_evidence: str = ""
    date_evidence: str = ""
    #: Day/month slash dates in the file (their order matters only when there are some).
    slash_dates: int = 0


def _values(table: str, columns: list[str], rel: str, candidates: tuple[str, ...] = ()) -> str:
    """Every non-NULL value of the columns in one file, trimmed, as v (currency signs removed).
    With ``candidates`` (LIKE patterns), only the rows where some column matches one are read:
    a cheap test on the whole file, so that the patterns run on few values."""
    listed = ", ".join(_ident(column) for column in columns)
    where = f"_source_file = {_literal(rel)}"
    if candidates:
        where += " AND (" + " OR ".join(
            f"{_ident(column)} LIKE {_literal(like)}" for column in columns for like in candidates
        ) + ")"
    return (
        "SELECT trim(replace(replace(replace(trim(x), '$', ''), '€', ''), '£', '')) AS v FROM ("
        f"SELECT unnest([{listed}]) AS x FROM {table} WHERE {where}) WHERE x IS NOT NULL"
    )


def _first(con: duckdb.DuckDBPyConnection, sql: str) -> str | None:
    row = con.execute(sql + " LIMIT 1").fetchone()
    return str(row[0]) if row else None


def _number_evidence(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rel: str
) -> tuple[str | None, str | None]:
    """(a value of the file that only reads with a decimal point, one that only reads with a
    decimal comma), each None when there is none. Cheap string tests pick the candidates, so a
    plain decimal-point file is settled by its first value and one scan without patterns."""
    values = _values(table, columns, rel)
    point, comma = _literal(POINT_PATTERN), _literal(COMMA_PATTERN)
    point_only = _first(
        con,
        f"SELECT v FROM ({values}) WHERE contains(v, '.') "
        f"AND regexp_full_match(v, {point}) AND NOT regexp_full_match(v, {comma})",
    )
    # A value that reads only with a comma holds a comma, a space, or two points (1.000.000).
    candidates = _values(table, columns, rel, ("%,%", "% %", "%.%.%"))
    comma_only = _first(
        con,
        f"SELECT v FROM ({candidates}) WHERE (contains(v, ',') OR contains(v, ' ') OR v LIKE '%.%.%') "
        f"AND regexp_full_match(v, {comma}) AND NOT regexp_full_match(v, {point})",
    )
    return point_only, comma_only


def _two_way(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rel: str
) -> tuple[int, str | None]:
    """(how many values of the file read two ways, an example)."""
    values = _values(table, columns, rel, ("%,%", "%.%"))
    row = con.execute(
        f"SELECT count(*), min(v) FROM ({values}) WHERE (contains(v, '.') OR contains(v, ',')) "
        f"AND regexp_full_match(v, {_literal(POINT_PATTERN)}) "
        f"AND regexp_full_match(v, {_literal(COMMA_PATTERN)})"
    ).fetchone()
    return (int(row[0]), row[1]) if row else (0, None)


def _date_evidence(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rel: str
) -> tuple[int, str | None, int, str | None, int, str | None]:
    """(slash dates, example, day-first proofs, example, month-first proofs, example)."""
    if not columns:
        return (0, None, 0, None, 0, None)
    row = con.execute(f"""
        SELECT count(*), min(v),
            count_if(a > 12 AND b <= 12), min(v) FILTER (WHERE a > 12 AND b <= 12),
            count_if(b > 12 AND a <= 12), min(v) FILTER (WHERE b > 12 AND a <= 12)
        FROM (
            SELECT v, try_cast(split_part(v, '/', 1) AS INTEGER) AS a,
                try_cast(split_part(v, '/', 2) AS INTEGER) AS b
            FROM ({_values(table, columns, rel, ("%/%",))})
            WHERE contains(v, '/') AND regexp_full_match(v, {_literal(SLASH_DATE_PATTERN)})
        )
    """).fetchone()
    return tuple(row) if row else (0, None, 0, None, 0, None)  # type: ignore[return-value]


def decide(
    con: duckdb.DuckDBPyConnection,
    table: str,
    files: dict[str, str],
    numeric_columns: list[str],
    date_columns: list[str],
    settings: InputSettings,
) -> dict[str, FileConventions]:
    """The conventions of each landed file of ``table`` (``files``: path -> its delimiter, or ''
    for parquet and JSON).

    Raises UserError, naming the file, when its slash dates can be read day-first and
    month-first and input.yml does not declare the order.
    """
    decided: dict[str, FileConventions] = {}
    for rel in sorted(files):
        declared = settings.for_file(rel)
        point_ex = comma_ex = None
        if numeric_columns and not declared.decimal_mark:
            point_ex, comma_ex = _number_evidence(con, table, numeric_columns, rel)
        point, comma = point_ex is not None, comma_ex is not None
        if declared.decimal_mark:
            mark, why = declared.decimal_mark, f"declared in {settings.source}"
        elif point and comma:
            mark, why = "mixed", f"both {point_ex!r} and {comma_ex!r}"
        elif point:
            mark, why = "point", repr(point_ex)
        elif comma:
            mark, why = "comma", repr(comma_ex)
        elif files[rel] not in (",", ""):
            mark, why = "unproven", ""
        else:
            mark, why = "point", ""
        ambiguous, two_way_ex = 0, None
        if mark in ("unproven", "mixed") and numeric_columns:
            ambiguous, two_way_ex = _two_way(con, table, numeric_columns, rel)

        slash, slash_ex, day, day_ex, month, month_ex = _date_evidence(con, table, date_columns, rel)
        order: str | None = None
        date_why = ""
        if declared.date_order:
            order, date_why = declared.date_order, f"declared in {settings.source}"
        elif day and month:
            raise UserError(
                f"{rel}: its slash dates mix day-first ({day_ex!r}) and month-first "
                f"({month_ex!r}); fix the file, or declare date_order for it in {settings.source}"
            )
        elif day:
            order, date_why = "day_first", repr(day_ex)
        elif month:
            order, date_why = "month_first", repr(month_ex)
        elif slash:
            raise UserError(
                f"{rel}: its {slash} slash date(s) (such as {slash_ex!r}) read both day-first and "
                f"month-first and none shows which; declare date_order: day_first or month_first "
                f"for it in {settings.source}"
            )
        decided[rel] = FileConventions(
            decimal_mark=mark,
            date_order=order,
            ambiguous_numbers=ambiguous,
            ambiguous_example=two_way_ex if ambiguous else None,
            decimal_evidence=why,
            date_evidence=date_why,
            slash_dates=int(slash or 0),
        )
    return decided


def describe(rel: str, delimiter: str, conventions: FileConventions) -> str | None:
    """A line for the landing summary when a file is not plain comma-delimited, decimal point,
    or when some of its values cannot be read; None otherwise."""
    parts: list[str] = []
    if delimiter and delimiter != ",":
        parts.append({";": "semicolon", "\t": "tab", "|": "pipe"}.get(delimiter, delimiter) + "-delimited")
    if conventions.decimal_mark == "comma":
        parts.append(f"decimal comma ({conventions.decimal_evidence or 'default'})")
    elif conventions.decimal_mark == "mixed":
        parts.append(f"decimal points and commas mixed ({conventions.decimal_evidence})")
    elif conventions.decimal_evidence.startswith("declared"):
        parts.append(f"decimal point ({conventions.decimal_evidence})")
    if conventions.date_order and conventions.slash_dates:
        words = "day-first" if conventions.date_order == "day_first" else "month-first"
        parts.append(f"{words} dates ({conventions.date_evidence})")
    if conventions.ambiguous_numbers:
        parts.append(
            f"{conventions.ambiguous_numbers} number(s) that read two ways, such as "
            f"{conventions.ambiguous_example!r}, are quarantined (declare decimal_mark in "
            f"{SETTINGS_FILE})"
        )
    return f"{rel}: " + "; ".join(parts) if parts else None

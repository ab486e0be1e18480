"""Landing: copy the user's raw input folder into all-VARCHAR warehouse tables.

The input folder (the raw input contract)::

    billing/        FOCUS 1.0-1.3 cost-and-usage rows: *.csv, *.csv.gz, *.parquet (subfolders ok)
    usage/          optional: usage_date, customer_id, metric, quantity [, service_name, ...]
    customers.csv   customer_id, customer_name, segment [, region, active_from, active_to]
    revenue.csv     optional: customer_id, month, revenue, currency

:func:`land` creates (replacing) four tables ``{schema}.billing``, ``{schema}.usage``,
``{schema}.customers`` and ``{schema}.revenue``. Each has a fixed set of VARCHAR columns (NULL
where a file lacks the column) plus two lineage columns:

* ``_source_file``: the file's path relative to the input folder, with forward slashes;
* ``_source_row``: the 1-based data record number within that file (header not counted, blank
  lines not counted; for parquet the file row number + 1).

Values are the raw text: no trimming, no null-token handling, no type casts; staging models do
that with ``try_cast`` and quarantine bad rows by file and row. An empty CSV field (quoted or
not) and an empty parquet string arrive as NULL.

Header names match case-insensitively, ignoring surrounding whitespace, a UTF-8 BOM and any
'_', '-' or inner spaces (``EffectiveCost``, ``effective_cost``, `` Effective Cost `` are one
column). Columns outside the fixed set (x_ vendor columns etc.) are not landed but reported.

Landing never drops a row silently. A file that cannot be read, that lacks a required column, or
that holds a malformed CSV record (more fields than the header, an unbalanced quote, bytes that
are not UTF-8) raises :class:`cpc.errors.UserError` with one line naming the file and the problem.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import shutil
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cpc.errors import UserError

__all__ = [
    "BILLING_COLUMNS",
    "BILLING_REQUIRED",
    "CUSTOMERS_COLUMNS",
    "CUSTOMERS_REQUIRED",
    "LINEAGE_COLUMNS",
    "REVENUE_COLUMNS",
    "REVENUE_REQUIRED",
    "SUPPORT_RATES_COLUMNS",
    "SUPPORT_TICKETS_COLUMNS",
    "TABLES",
    "USAGE_COLUMNS",
    "USAGE_REQUIRED",
    "LandingSummary",
    "TableSpec",
    "export_parquet",
    "land",
    "landed_columns",
]

# --------------------------------------------------------------------------------------------
# The fixed column sets
# --------------------------------------------------------------------------------------------

#: FOCUS 1.0-1.3 cost-and-usage columns as (FocusName, landed snake_case name), in landed order.
#: Deprecated and renamed columns are both kept as separate landed columns (ProviderName and
#: ServiceProviderName, PublisherName and HostProviderName).
BILLING_COLUMNS: tuple[tuple[str, str], ...] = (
    # FOCUS 1.0 / 1.1 / 1.2
    ("AvailabilityZone", "availability_zone"),
    ("BilledCost", "billed_cost"),
    ("BillingAccountId", "billing_account_id"),
    ("BillingAccountName", "billing_account_name"),
    ("BillingAccountType", "billing_account_type"),
    ("BillingCurrency", "billing_currency"),
    ("BillingPeriodEnd", "billing_period_end"),
    ("BillingPeriodStart", "billing_period_start"),
    ("CapacityReservationId", "capacity_reservation_id"),
    ("CapacityReservationStatus", "capacity_reservation_status"),
    ("ChargeCategory", "charge_category"),
    ("ChargeClass", "charge_class"),
    ("ChargeDescription", "charge_description"),
    ("ChargeFrequency", "charge_frequency"),
    ("ChargePeriodEnd", "charge_period_end"),
    ("ChargePeriodStart", "charge_period_start"),
    ("CommitmentDiscountCategory", "commitment_discount_category"),
    ("CommitmentDiscountId", "commitment_discount_id"),
    ("CommitmentDiscountName", "commitment_discount_name"),
    ("CommitmentDiscountQuantity", "commitment_discount_quantity"),
    ("CommitmentDiscountStatus", "commitment_discount_status"),
    ("CommitmentDiscountType", "commitment_discount_type"),
    ("CommitmentDiscountUnit", "commitment_discount_unit"),
    ("ConsumedQuantity", "consumed_quantity"),
    ("ConsumedUnit", "consumed_unit"),
    ("ContractedCost", "contracted_cost"),
    ("ContractedUnitPrice", "contracted_unit_price"),
    ("EffectiveCost", "effective_cost"),
    ("InvoiceId", "invoice_id"),
    ("InvoiceIssuerName", "invoice_issuer_name"),
    ("ListCost", "list_cost"),
    ("ListUnitPrice", "list_unit_price"),
    ("PricingCategory", "pricing_category"),
    ("PricingCurrency", "pricing_currency"),
    ("PricingCurrencyContractedUnitPrice", "pricing_currency_contracted_unit_price"),
    ("PricingCurrencyEffectiveCost", "pricing_currency_effective_cost"),
    ("PricingCurrencyListUnitPrice", "pricing_currency_list_unit_price"),
    ("PricingQuantity", "pricing_quantity"),
    ("PricingUnit", "pricing_unit"),
    ("ProviderName", "provider_name"),
    ("PublisherName", "publisher_name"),
    ("ServiceProviderName", "service_provider_name"),
    ("HostProviderName", "host_provider_name"),
    ("RegionId", "region_id"),
    ("RegionName", "region_name"),
    ("ResourceId", "resource_id"),
    ("ResourceName", "resource_name"),
    ("ResourceType", "resource_type"),
    ("ServiceCategory", "service_category"),
    ("ServiceName", "service_name"),
    ("ServiceSubcategory", "service_subcategory"),
    ("SkuId", "sku_id"),
    ("SkuMeter", "sku_meter"),
    ("SkuPriceDetails", "sku_price_details"),
    ("SkuPriceId", "sku_price_id"),
    ("SubAccountId", "sub_account_id"),
    ("SubAccountName", "sub_account_name"),
    ("SubAccountType", "sub_account_type"),
    ("Tags", "tags"),
    # FOCUS 1.3 additions: split cost allocation and contract commitments
    ("AllocatedMethodId", "allocated_method_id"),
    ("AllocatedMethodDetails", "allocated_method_details"),
    ("AllocatedResourceId", "allocated_resource_id"),
    ("AllocatedResourceName", "allocated_resource_name"),
    ("AllocatedTags", "allocated_tags"),
    ("ContractApplied", "contract_applied"),
)
BILLING_REQUIRED: tuple[str, ...] = ("charge_period_start", "charge_period_end", "effective_cost")

USAGE_COLUMNS: tuple[str, ...] = (
    "usage_date",
    "customer_id",
    "metric",
    "quantity",
    "service_name",
    "resource_id",
    "region_id",
    "sub_account_id",
)
USAGE_REQUIRED: tuple[str, ...] = ("usage_date", "customer_id", "metric", "quantity")

CUSTOMERS_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "customer_name",
    "segment",
    "region",
    "active_from",
    "active_to",
)
CUSTOMERS_REQUIRED: tuple[str, ...] = ("customer_id", "segment")

REVENUE_COLUMNS: tuple[str, ...] = ("customer_id", "month", "revenue", "currency")
REVENUE_REQUIRED: tuple[str, ...] = ("customer_id", "month", "revenue")
SUPPORT_TICKETS_COLUMNS: tuple[str, ...] = (
    "ticket_id",
    "customer_id",
    "opened_at",
    "handle_minutes",
    "agent_tier",
)
SUPPORT_TICKETS_REQUIRED: tuple[str, ...] = ("ticket_id", "customer_id", "opened_at", "handle_minutes")
SUPPORT_RATES_COLUMNS: tuple[str, ...] = (
    "agent_tier",
    "hourly_rate",
    "currency",
    "effective_from",
    "effective_to",
)
SUPPORT_RATES_REQUIRED: tuple[str, ...] = ("agent_tier", "hourly_rate")

#: Lineage columns appended to every landed table, as (name, type).
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
)

#: Tables are built under this prefix and renamed when every file has landed.
_SHADOW_PREFIX = "_cpc_landing_"

_DATA_SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet")


def _match_key(name: str) -> str:
    """Key for header matching: case-insensitive; ignores whitespace, BOM, '_' and '-'.

    So ``BilledCost``, ``billedcost``, `` BilledCost `` and ``billed_cost`` all match the same
    column, as do ``customer_id``, ``Customer ID`` and ``CustomerId``.
    """
    return re.sub(r"[\s_\-\ufeff]+", "", name).lower()


@dataclass(frozen=True)
class TableSpec:
    """One landed table: its columns, required columns and where its files come from."""

    name: str
    #: (display name used in messages, landed column name), in landed order.
    columns: tuple[tuple[str, str], ...]
    #: Landed names of the columns every file must have.
    required: tuple[str, ...]
    #: Folder (relative to the input dir) whose data files land here, or None.
    folder: str | None
    #: Single file (relative to the input dir) that lands here, or None.
    filename: str | None
    #: Whether the input (folder with >= 1 data file, or the file) must exist.
    input_required: bool
    #: Appended to "missing required column(s) ..." messages.
    hint: str

    @property
    def landed_names(self) -> tuple[str, ...]:
        """The landed data column names, in order (without lineage columns)."""
        return tuple(landed for _, landed in self.columns)

    @property
    def input_label(self) -> str:
        """How the input is named in messages: ``billing/`` or ``customers.csv``."""
        return f"{self.folder}/" if self.folder else str(self.filename)

    def display(self, landed: str) -> str:
        """The user-facing name of a landed column (FOCUS name for billing)."""
        for shown, name in self.columns:
            if name == landed:
                return shown
        return landed

    def lookup(self) -> dict[str, str]:
        """Header match key -> landed column name (display and landed names both match)."""
        keys: dict[str, str] = {}
        for shown, landed in self.columns:
            keys[_match_key(shown)] = landed
            keys[_match_key(landed)] = landed
        return keys


def _plain(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(name, name) pairs for tables whose display and landed names are the same."""
    return tuple((name, name) for name in names)


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        name="billing",
        columns=BILLING_COLUMNS,
        required=BILLING_REQUIRED,
        folder="billing",
        filename=None,
        input_required=True,
        hint="(FOCUS 1.0–1.3 column names expected)",
    ),
    TableSpec(
        name="usage",
        columns=_plain(USAGE_COLUMNS),
        required=USAGE_REQUIRED,
        folder="usage",
        filename=None,
        input_required=False,
        hint="(expected usage_date, customer_id, metric, quantity "
        "[, service_name, resource_id, region_id, sub_account_id])",
    ),
    TableSpec(
        name="customers",
        columns=_plain(CUSTOMERS_COLUMNS),
        required=CUSTOMERS_REQUIRED,
        folder=None,
        filename="customers.csv",
        input_required=True,
        hint="(expected customer_id, customer_name, segment [, region, active_from, active_to])",
    ),
    TableSpec(
        name="revenue",
        columns=_plain(REVENUE_COLUMNS),
        required=REVENUE_REQUIRED,
        folder=None,
        filename="revenue.csv",
        input_required=False,
        hint="(expected customer_id, month, revenue, currency)",
    ),
    TableSpec(
        name="support_tickets",
        columns=_plain(SUPPORT_TICKETS_COLUMNS),
        required=SUPPORT_TICKETS_REQUIRED,
        folder=None,
        filename="support_tickets.csv",
        input_required=False,
        hint="(expected ticket_id, customer_id, opened_at, handle_minutes [, agent_tier])",
    ),
    TableSpec(
        name="support_rates",
        columns=_plain(SUPPORT_RATES_COLUMNS),
        required=SUPPORT_RATES_REQUIRED,
        folder=None,
        filename="support_rates.csv",
        input_required=False,
        hint="(expected agent_tier, hourly_rate [, currency, effective_from, effective_to])",
    ),
)
_TABLES_BY_NAME: dict[str, TableSpec] = {spec.name: spec for spec in TABLES}


def landed_columns(table: str) -> tuple[str, ...]:
    """All column names of a landed table, in order, including the lineage columns."""
    spec = _TABLES_BY_NAME[table]
    return spec.landed_names + tuple(name for name, _ in LINEAGE_COLUMNS)


# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------


@dataclass
class LandingSummary:
    """What :func:`land` did: row counts per table and per file, and columns it did not use."""

    input_dir: Path
    schema: str
    #: Landed rows per table (all four tables, zero for empty ones).
    table_rows: dict[str, int] = field(default_factory=dict)
    #: Landed rows per file, keyed by the path relative to the input dir (as in _source_file).
    file_rows: dict[str, int] = field(default_factory=dict)
    #: Table each file landed in, keyed like file_rows.
    file_tables: dict[str, str] = field(default_factory=dict)
    #: Seconds spent landing each file, keyed like file_rows.
    file_seconds: dict[str, float] = field(default_factory=dict)
    #: Files read, relative to the input dir, in landing order.
    files_read: list[str] = field(default_factory=list)
    #: Header names that match no landed column (x_ vendor columns etc.), per file.
    unknown_columns: dict[str, list[str]] = field(default_factory=dict)
    #: Files under billing/ or usage/ that were not read, with the reason.
    skipped_files: dict[str, str] = field(default_factory=dict)
    #: Records holding a line break inside a value, per file (see notes).
    multiline_records: dict[str, int] = field(default_factory=dict)
    #: Other remarks (an optional input missing, an empty file).
    notes: list[str] = field(default_factory=list)
    #: Wall-clock seconds the landing took.
    seconds: float = 0.0

    def describe(self) -> list[str]:
        """A few human-readable lines summarising the landing."""
        lines = [
            (
                f"Landed {len(self.files_read)} file(s) from {self.input_dir} into schema "
                f"{self.schema} in {self.seconds:.1f} s"
            )
        ]
        for spec in TABLES:
            n_files = sum(1 for t in self.file_tables.values() if t == spec.name)
            rows = self.table_rows.get(spec.name, 0)
            lines.append(f"  {spec.name}: {rows:,} row(s) from {n_files} file(s)")
        for path, names in self.unknown_columns.items():
            shown = ", ".join(names[:8]) + (f", … (+{len(names) - 8})" if len(names) > 8 else "")
            lines.append(f"  {path}: {len(names)} column(s) not landed: {shown}")
        for path, reason in self.skipped_files.items():
            lines.append(f"  skipped {path}: {reason}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return lines


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """Quote an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace so a message fits on one line, and cap its length."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _duckdb_reason(exc: BaseException) -> str:
    """The first meaningful line of a DuckDB error, without the 'X Error:' prefix."""
    first = next((ln for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
    return _one_line(re.sub(r"^[A-Za-z ]*Error:\s*", "", first.strip()))


def _is_data_file(name: str) -> bool:
    """Whether a file name has one of the accepted data suffixes (case-insensitive)."""
    lower = name.lower()
    return any(lower.endswith(suffix) for suffix in _DATA_SUFFIXES)


_GLOB_CHARS = re.compile(r"[*?\[\]{}]")


@contextmanager
def _readable_path(path: Path) -> Iterator[str]:
    """A path DuckDB reads literally.

    DuckDB's readers expand glob patterns, so a file named ``x[1].csv`` would silently read
    ``x1.csv``. Such names are read through a symlink (or copy) with a plain name instead.
    """
    text = str(path.absolute())
    if not _GLOB_CHARS.search(text):
        yield text
        return
    tmp_dir = tempfile.mkdtemp(prefix="cpc_landing_")
    try:
        suffix = ".csv.gz" if path.name.lower().endswith(".csv.gz") else path.suffix.lower()
        alias = Path(tmp_dir) / f"input{suffix}"
        try:
            os.symlink(path.absolute(), alias)
        except OSError:
            shutil.copyfile(path, alias)
        yield str(alias)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# CSV header inspection
# --------------------------------------------------------------------------------------------

_PROBE_CHUNK = 1 << 16
_PROBE_LIMIT = 16 << 20
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class _CsvHead:
    """What we need to know about a CSV file before DuckDB reads it."""

    gzipped: bool
    #: Blank lines before the header line (passed to DuckDB as ``skip``).
    skip: int
    #: Header fields as written, or None for an empty file (no header line at all).
    header: list[str] | None


def _probe_csv(path: Path, rel: str) -> _CsvHead:
    """Detect gzip by content, find the header line and parse it (csv module, RFC 4180)."""
    try:
        with path.open("rb") as fh:
            gzipped = fh.read(2) == _GZIP_MAGIC
        opener = gzip.open if gzipped else open
        data = b""
        with opener(path, "rb") as fh:
            while len(data) < _PROBE_LIMIT:
                chunk = fh.read(_PROBE_CHUNK)
                if not chunk:
                    break
                data += chunk
                # Stop once a non-blank line has been terminated by a newline.
                if re.search(rb"[^\s][^\n\r]*[\r\n]", data.lstrip(b"\xef\xbb\xbf")):
                    break
    except (OSError, EOFError, zlib.error) as exc:
        what = "gzip-compressed CSV" if path.name.lower().endswith(".gz") else "CSV file"
        raise UserError(f"{rel}: cannot read {what}: {_one_line(str(exc))}") from exc

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UserError(f"{rel}: file is UTF-16 encoded; save it as UTF-8 CSV")
    if data.startswith(b"PK\x03\x04"):
        raise UserError(f"{rel}: file is a ZIP archive, not a CSV; unzip it first")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]

    newline = b"\n" if b"\n" in data else b"\r"
    lines = data.split(newline)
    skip = 0
    for index, raw in enumerate(lines):
        if raw.strip():
            complete = index < len(lines) - 1 or len(data) < _PROBE_LIMIT
            if not complete:
                raise UserError(f"{rel}: header line longer than {_PROBE_LIMIT >> 20} MiB")
            try:
                text = raw.rstrip(b"\r").decode("utf-8")
            except UnicodeDecodeError as exc:
                raise UserError(
                    f"{rel}: header line is not valid UTF-8; save the file as UTF-8"
                ) from exc
            header = next(csv.reader([text], delimiter=",", quotechar='"', doublequote=True))
            return _CsvHead(gzipped=gzipped, skip=skip, header=header)
        skip += 1
    return _CsvHead(gzipped=gzipped, skip=skip, header=None)


# --------------------------------------------------------------------------------------------
# Column mapping
# --------------------------------------------------------------------------------------------


def _map_header(rel: str, header: list[str], spec: TableSpec) -> tuple[dict[str, int], list[str]]:
    """Map header positions to landed columns.

    Returns (landed name -> position in the header, header names that match nothing).
    Raises UserError when a required column is missing or two header names map to one column.
    """
    keys = spec.lookup()
    matched: dict[str, int] = {}
    unknown: list[str] = []
    for position, name in enumerate(header):
        landed = keys.get(_match_key(name))
        if landed is None:
            unknown.append(name.strip() or f"(blank header, column {position + 1})")
            continue
        if landed in matched:
            first = header[matched[landed]].strip()
            raise UserError(
                f"{rel}: columns {first!r} and {name.strip()!r} are the same column "
                f"{spec.display(landed)}; keep only one"
            )
        matched[landed] = position
    missing = [spec.display(name) for name in spec.required if name not in matched]
    if missing:
        raise UserError(f"{rel}: missing required column(s) {', '.join(missing)} {spec.hint}")
    return matched, unknown


# --------------------------------------------------------------------------------------------
# Loading one file
# --------------------------------------------------------------------------------------------


_QUOTED_NEWLINE_REFUSAL = "does not support null_padding in conjunction with quoted new lines"


def _csv_error(rel: str, exc: duckdb.Error) -> UserError:
    """Turn a DuckDB CSV reader error into a one-line UserError naming the file and line."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    original = re.search(r"Original Line: ?([^\n]*)", text)
    columns = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    lower = text.lower()
    if columns:
        reason = (
            f"more fields than the header has (expected {columns.group(1)}, found "
            f"{columns.group(2)} or more; an unquoted comma in a value?)"
        )
    elif "unterminated quote" in lower:
        reason = "unbalanced quote (a quoted value is never closed)"
    elif "invalid unicode" in lower or "not utf-8" in lower:
        reason = "bytes that are not UTF-8 (save the file as UTF-8)"
    elif "maximum line size" in lower:
        reason = "record longer than the 2 MB DuckDB line limit"
    elif line:
        reason = next(
            (
                _one_line(part)
                for part in text.splitlines()[2:]
                if part.strip() and not part.lstrip().startswith(("*", "Possible"))
            ),
            _duckdb_reason(exc),
        )
    else:
        return UserError(f"{rel}: cannot read CSV: {_duckdb_reason(exc)}")
    where = f"line {line.group(1)}: " if line else ""
    snippet = _one_line(original.group(1).strip(), 60) if original else ""
    return UserError(f"{rel}: {where}{reason}" + (f": {snippet!r}" if snippet else ""))


def _insert_sql(spec: TableSpec, target: str, select_list: list[str], source: str) -> str:
    """INSERT ... SELECT statement landing one file into the target table."""
    columns = ", ".join(_ident(c) for c in (*spec.landed_names, "_source_file", "_source_row"))
    return f"INSERT INTO {target} ({columns}) SELECT {', '.join(select_list)} FROM {source}"


def _land_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    rel: str,
    spec: TableSpec,
    target: str,
    summary: LandingSummary,
) -> int:
    """Land one CSV (optionally gzip-compressed) file; return the number of rows landed."""
    head = _probe_csv(path, rel)
    if head.header is None:
        summary.notes.append(f"{rel} is empty (no header line); landed 0 rows")
        return 0
    matched, unknown = _map_header(rel, head.header, spec)
    if unknown:
        summary.unknown_columns[rel] = unknown

    # Columns are named by position (c0, c1, ...): the header text never reaches DuckDB, so
    # duplicate, blank or odd header names cannot confuse it.
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(head.header))) + "}"
    select_list = [
        f"c{matched[name]}" if name in matched else "CAST(NULL AS VARCHAR)"
        for name in spec.landed_names
    ]
    # _source_row: row_number() OVER () with an empty window is planned as DuckDB's streaming
    # window, whose operator order is FIXED_ORDER: the scan feeding it delivers records in file
    # order even when the CSV is parsed by several threads and whatever preserve_insertion_order
    # says. So the number is the record's position in the file (header and blank lines not
    # counted). Tested on 4M rows with 1-16 threads, and in test_landing.py on 150k rows.
    select_list += [_literal(rel), "row_number() OVER ()"]

    with _readable_path(path) as readable:

        def insert(null_padding: bool, parallel: bool) -> int:
            options = ", ".join(
                [
                    _literal(readable),
                    "header = true",
                    f"skip = {head.skip}",
                    "auto_detect = false",
                    f"columns = {columns}",
                    "delim = ','",
                    "quote = '\"'",
                    "escape = '\"'",
                    "comment = ''",
                    "encoding = 'utf-8'",
                    f"null_padding = {str(null_padding).lower()}",
                    f"parallel = {str(parallel).lower()}",
                    "strict_mode = true",
                    f"compression = '{'gzip' if head.gzipped else 'none'}'",
                ]
            )
            sql = _insert_sql(spec, target, select_list, f"read_csv({options})")
            result = con.execute(sql).fetchone()
            return int(result[0]) if result else 0

        # DuckDB 2.0's CSV reader, as measured: the parallel scanner reports every malformed
        # record (unbalanced quote, too many or too few fields), but refuses null_padding in a
        # file with line breaks inside quoted values; the sequential scanner accepts that, but
        # silently drops everything after an unbalanced quote. Hence, in order:
        # 1. parallel + null_padding: the common case (short rows padded with NULL);
        try:
            return insert(null_padding=True, parallel=True)
        except duckdb.Error as exc:
            if _QUOTED_NEWLINE_REFUSAL not in str(exc):
                raise _csv_error(rel, exc) from exc
        # 2. parallel without padding: quoted line breaks, every row complete;
        try:
            return insert(null_padding=False, parallel=True)
        except duckdb.Error as exc:
            if not _too_few_fields(exc):
                raise _csv_error(rel, exc) from exc
        # 3. both quoted line breaks and short rows: the sequential scanner, its record count
        #    checked against Python's csv module (strict), which does report unbalanced quotes.
        expected = _count_csv_records(path, head, rel)
        try:
            landed = insert(null_padding=True, parallel=False)
        except duckdb.Error as exc:
            raise _csv_error(rel, exc) from exc
    if landed != expected:
        raise UserError(
            f"{rel}: DuckDB read {landed} records but the file holds {expected}; "
            "check it for unbalanced quotes"
        )
    return landed


def _too_few_fields(exc: duckdb.Error) -> bool:
    """Whether a DuckDB CSV error is about a record with fewer fields than the header."""
    found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", str(exc))
    return bool(found) and int(found.group(2)) < int(found.group(1))


def _count_csv_records(path: Path, head: _CsvHead, rel: str) -> int:
    """Count the data records of a CSV file with Python's csv module (blank lines skipped).

    Slow (pure Python), so only used to check DuckDB's sequential scanner. Raises UserError,
    naming the line, for an unbalanced quote or other malformed quoting.
    """
    opener = gzip.open if head.gzipped else open
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=",", quotechar='"', doublequote=True, strict=True)
            count = index = 0
            while True:
                record_line = reader.line_num + 1
                try:
                    record = next(reader)
                except StopIteration:
                    return count
                except csv.Error as exc:
                    reason = (
                        "unbalanced quote (a quoted value is never closed)"
                        if "unexpected end of data" in str(exc)
                        else f"malformed CSV ({exc})"
                    )
                    raise UserError(f"{rel}: line {record_line}: {reason}") from exc
                if index > head.skip and record:
                    count += 1
                index += 1
    except UnicodeDecodeError as exc:
        raise UserError(f"{rel}: bytes that are not UTF-8 (save the file as UTF-8)") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise UserError(f"{rel}: cannot read file: {_one_line(str(exc))}") from exc
    finally:
        csv.field_size_limit(previous_limit)


_NESTED_TYPE = re.compile(r"^(STRUCT|MAP|UNION)\(|\[\d*\]$")


def _parquet_value(column: str, duckdb_type: str) -> str:
    """SQL rendering one parquet column as raw text."""
    ident = _ident(column)
    kind = duckdb_type.upper()
    if kind == "VARCHAR":
        return f"NULLIF({ident}, '')"
    if _NESTED_TYPE.search(kind):
        return f"CAST(to_json({ident}) AS VARCHAR)"
    if kind in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        utc = f"timezone('UTC', {ident})"
        return (
            f"CASE WHEN microsecond({utc}) % 1000000 = 0 "
            f"THEN strftime({utc}, '%Y-%m-%dT%H:%M:%SZ') "
            f"ELSE strftime({utc}, '%Y-%m-%dT%H:%M:%S.%fZ') END"
        )
    if kind.startswith("TIMESTAMP"):
        naive = f"CAST({ident} AS TIMESTAMP)"
        return (
            f"CASE WHEN microsecond({naive}) % 1000000 = 0 "
            f"THEN strftime({naive}, '%Y-%m-%dT%H:%M:%S') "
            f"ELSE strftime({naive}, '%Y-%m-%dT%H:%M:%S.%f') END"
        )
    return f"CAST({ident} AS VARCHAR)"


def _land_parquet(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    rel: str,
    spec: TableSpec,
    target: str,
    summary: LandingSummary,
) -> int:
    """Land one parquet file; return the number of rows landed."""
    with _readable_path(path) as readable:
        source = (
            f"read_parquet({_literal(readable)}, file_row_number = true, binary_as_string = true)"
        )
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        except duckdb.Error as exc:
            raise UserError(f"{rel}: cannot read parquet: {_duckdb_reason(exc)}") from exc
        columns = [(str(row[0]), str(row[1])) for row in described if row[0] != "file_row_number"]
        matched, unknown = _map_header(rel, [name for name, _ in columns], spec)
        if unknown:
            summary.unknown_columns[rel] = unknown
        select_list = [
            _parquet_value(*columns[matched[name]]) if name in matched else "CAST(NULL AS VARCHAR)"
            for name in spec.landed_names
        ]
        select_list += [_literal(rel), "file_row_number + 1"]
        try:
            result = con.execute(_insert_sql(spec, target, select_list, source)).fetchone()
        except duckdb.Error as exc:
            raise UserError(f"{rel}: cannot read parquet: {_duckdb_reason(exc)}") from exc
    return int(result[0]) if result else 0


# --------------------------------------------------------------------------------------------
# Finding the input files
# --------------------------------------------------------------------------------------------


def _folder_files(input_dir: Path, spec: TableSpec, summary: LandingSummary) -> list[Path]:
    """Data files under the spec's folder, sorted by relative path; records skipped files."""
    assert spec.folder is not None
    folder = input_dir / spec.folder
    if not folder.exists():
        if spec.input_required:
            raise UserError(
                f"{spec.input_label}: folder not found in {input_dir} "
                "(put FOCUS cost-and-usage files there: .csv, .csv.gz or .parquet)"
            )
        summary.notes.append(f"no {spec.input_label} folder: {spec.name} table is empty")
        return []
    if not folder.is_dir():
        raise UserError(f"{spec.input_label}: expected a folder, found a file")
    found: list[Path] = []
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(input_dir).as_posix()):
        if not path.is_file():
            continue
        rel_parts = path.relative_to(input_dir).parts
        rel = "/".join(rel_parts)
        if any(part.startswith(".") for part in rel_parts):
            continue  # hidden files: .DS_Store, macOS ._resource forks, editor swap files
        if _is_data_file(path.name):
            found.append(path)
        else:
            summary.skipped_files[rel] = "not a .csv, .csv.gz or .parquet file"
    if not found:
        if spec.input_required:
            raise UserError(
                f"{spec.input_label}: no .csv, .csv.gz or .parquet files found in {folder}"
            )
        summary.notes.append(f"{spec.input_label} holds no data files: {spec.name} table is empty")
    return found


def _single_file(input_dir: Path, spec: TableSpec, summary: LandingSummary) -> list[Path]:
    """The spec's single input file, as a list of zero or one path."""
    assert spec.filename is not None
    path = input_dir / spec.filename
    if not path.exists():
        if spec.input_required:
            raise UserError(f"{spec.filename}: not found in {input_dir} (required) {spec.hint}")
        summary.notes.append(f"no {spec.filename}: {spec.name} table is empty")
        return []
    if not path.is_file():
        raise UserError(f"{spec.filename}: expected a file, found a folder")
    return [path]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _note_line_breaks(
    con: duckdb.DuckDBPyConnection, target: str, spec: TableSpec, summary: LandingSummary
) -> None:
    """Record, per file, the records holding a line break inside a (quoted) value.

    Line breaks in quoted values are valid CSV, but they are also what an unbalanced quote
    produces when a later stray quote closes it: two lines merged into one record. Flagging
    them is the only way such a merge does not go unnoticed.
    """
    condition = " OR ".join(f"contains({_ident(name)}, chr(10))" for name in spec.landed_names)
    rows = con.execute(
        f"SELECT _source_file, count(*), min(_source_row) FROM {target} WHERE {condition} "
        "GROUP BY _source_file ORDER BY _source_file"
    ).fetchall()
    for rel, count, first in rows:
        summary.multiline_records[str(rel)] = int(count)
        summary.notes.append(
            f"{rel}: {count} record(s) hold a line break inside a quoted value (first: row "
            f"{first}); if unintended, an unbalanced quote merged lines"
        )


def _create_table(con: duckdb.DuckDBPyConnection, target: str, spec: TableSpec) -> None:
    """Create (replacing) one landed table with its fixed columns."""
    columns = [f"{_ident(name)} VARCHAR" for name in spec.landed_names]
    columns += [f"{_ident(name)} {kind}" for name, kind in LINEAGE_COLUMNS]
    con.execute(f"CREATE OR REPLACE TABLE {target} ({', '.join(columns)})")


def land(
    input_dir: Path, con: duckdb.DuckDBPyConnection, schema: str = "cpc_raw"
) -> LandingSummary:
    """Land the input folder into ``{schema}.billing/usage/customers/revenue``.

    All four tables are created (replacing earlier ones) with a fixed column set, every data
    column VARCHAR, plus ``_source_file`` and ``_source_row``. Missing optional inputs give
    empty tables. Files land in shadow tables that replace the previous tables only when every
    file has landed, so a failed landing leaves earlier landed tables untouched. Call it outside
    an open transaction.

    Raises:
        UserError: a required input is missing, or a file is unreadable, lacks a required
            column or holds a malformed record; the one-line message names the file.
    """
    started = time.perf_counter()
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise UserError(f"{input_dir}: input folder not found")
    summary = LandingSummary(input_dir=input_dir, schema=schema)

    # Find every input first, so a missing required input fails before any work is done.
    plan: list[tuple[TableSpec, list[Path]]] = []
    for spec in TABLES:
        if spec.folder is not None:
            plan.append((spec, _folder_files(input_dir, spec, summary)))
        else:
            plan.append((spec, _single_file(input_dir, spec, summary)))

    # Land into shadow tables, then swap them in with one short transaction: a failed landing
    # leaves the tables of the previous landing untouched. (Not one big transaction: a failed
    # statement aborts a DuckDB transaction, and the CSV reader needs to retry some files.)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
    shadows = {
        spec.name: f"{_ident(schema)}.{_ident(_SHADOW_PREFIX + spec.name)}" for spec in TABLES
    }
    try:
        for spec, paths in plan:
            target = shadows[spec.name]
            _create_table(con, target, spec)
            total = 0
            for path in paths:
                rel = path.relative_to(input_dir).as_posix()
                file_started = time.perf_counter()
                if path.name.lower().endswith(".parquet"):
                    rows = _land_parquet(con, path, rel, spec, target, summary)
                else:
                    rows = _land_csv(con, path, rel, spec, target, summary)
                summary.files_read.append(rel)
                summary.file_rows[rel] = rows
                summary.file_seconds[rel] = time.perf_counter() - file_started
                summary.file_tables[rel] = spec.name
                total += rows
            summary.table_rows[spec.name] = total
            if total:
                _note_line_breaks(con, target, spec, summary)
        con.execute("BEGIN TRANSACTION")
        try:
            for spec in TABLES:
                con.execute(f"DROP TABLE IF EXISTS {_ident(schema)}.{_ident(spec.name)}")
                con.execute(f"ALTER TABLE {shadows[spec.name]} RENAME TO {_ident(spec.name)}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        for shadow in shadows.values():
            try:
                con.execute(f"DROP TABLE IF EXISTS {shadow}")
            except duckdb.Error:
                pass
    summary.seconds = time.perf_counter() - started
    return summary


def export_parquet(
    con: duckdb.DuckDBPyConnection, out_dir: Path, schema: str = "cpc_raw"
) -> dict[str, Path]:
    """Write each landed table to ``out_dir/<table>.parquet``; return {table: path}.

    Used by the Spark engine, which registers the files as tables. Row order is the landing
    order (files in path order, records in file order).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for spec in TABLES:
        path = out_dir / f"{spec.name}.parquet"
        target = f"{_ident(schema)}.{_ident(spec.name)}"
        try:
            con.execute(
                f"COPY (SELECT * FROM {target}) TO {_literal(str(path.absolute()))} "
                "(FORMAT parquet)"
            )
        except duckdb.CatalogException as exc:
            raise UserError(
                f"{schema}.{spec.name}: table not found; land the input folder first"
            ) from exc
        except duckdb.Error as exc:
            raise UserError(f"{path}: cannot write parquet: {_duckdb_reason(exc)}") from exc
        written[spec.name] = path
    return written

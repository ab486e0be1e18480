"""Landing: copy the user's raw input folder into all-VARCHAR warehouse tables.

The input folder (the raw input contract)::

    billing/            billing exports, any mix of: FOCUS 1.0-1.3, AWS CUR (legacy or 2.0), Azure
                        cost details, GCP BigQuery billing export, OCI cost report; *.csv,
                        *.csv.gz, *.parquet, or JSON lines (*.json, *.jsonl, *.ndjson, each
                        optionally .gz); subfolders ok
    usage/              optional: usage_date, customer_id, metric, quantity [, service_name, ...]
    customers.csv       customer_id, customer_name, segment [, region, active_from, active_to]
    revenue.csv         optional: customer_id, month, revenue, currency
    budgets.csv         optional: customer_id or segment, month, amount [, currency]
    support_tickets.csv optional: ticket_id, customer_id, opened_at, handle_minutes [, agent_tier]
    support_rates.csv   optional: agent_tier, hourly_rate [, currency, effective_from, effective_to]
    other_costs.csv     optional: cost_id, category, amount, incurred_date [, description, ...]
    fx_rates.csv        optional: date, currency, rate
    k8s_usage/          optional: Kubernetes pod usage per interval (csv, csv.gz, parquet)
    k8s_namespaces.csv  optional: cluster_id, namespace, customer_id

Each file in billing/ is recognized by its header (:mod:`cpc.formats`) and lands in its format's
raw table: ``billing`` (FOCUS), ``billing_aws``, ``billing_azure``, ``billing_gcp``,
``billing_oci``. :func:`land` creates (replacing) every table of :data:`TABLES`, empty when no
file feeds it, and records the files it read in ``_landed_files``: a file unchanged at the next
landing keeps its rows instead of being read again (:mod:`cpc.landed_files`). Each has a fixed set of VARCHAR columns (NULL where a file lacks the column) plus
the lineage columns:

* ``_source_file``: the file's path relative to the input folder, with forward slashes;
* ``_source_row``: the 1-based data record number within that file (header not counted, blank
  lines not counted; for parquet the file row number + 1; for JSON lines the record number);
* ``_delivered_at``: the file's modification time, UTC ISO 8601 text;
* ``_source_variant``: what the billing format says about the file (``legacy``/``cur2``,
  ``actual``/``amortized``, ...), else NULL.
* ``_decimal_mark`` and ``_date_order``: how the file writes numbers (``point``, ``comma``,
  ``unproven``, ``mixed``) and day/month slash dates (``day_first``, ``month_first`` or NULL), as
  decided from the file's own values or declared in input.yml (:mod:`cpc.conventions`); staging
  parses every value by them.

Values are the raw text: no trimming, no null-token handling, no type casts; staging models do
that with ``try_cast`` and quarantine bad rows by file and row. An empty CSV field (quoted or
not) and an empty parquet or JSON string arrive as NULL. Parquet timestamps become ISO 8601 text
(with ``Z`` when time-zone aware); nested parquet and JSON records are flattened to dotted names
(``service.description``), lists and maps land as JSON text.

Header names match with :func:`cpc.formats.base.match_key`: case-insensitive, ignoring
whitespace, a UTF-8 BOM and ``_ - / . :`` (``EffectiveCost``, ``effective_cost``,
`` Effective Cost `` are one column). Columns outside the fixed set (x_ vendor columns etc.) are
not landed but reported. A billing format with tag prefixes (AWS ``resourceTags/*``, OCI
``tags/*``) packs those columns into one JSON object text column.

Landing never drops a row silently. A file that cannot be read, whose billing layout is not
recognized, that lacks a required column, or that holds a malformed record (more fields than the
header, an unbalanced quote, bytes that are not UTF-8, a malformed JSON line) raises
:class:`cpc.errors.UserError` with one line naming the file and the problem.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import os
import re
import shutil
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from cpc import conventions, landed_files
from cpc.errors import UserError
from cpc.formats import FORMATS, BillingFormat, detect
from cpc.formats import focus as focus_format
from cpc.formats.base import match_key
from cpc.sql_text import identifier as _ident
from cpc.sql_text import literal as _literal
from cpc.sql_text import literal_or_null as _literal_or_null

__all__ = [
    "BILLING_COLUMNS",
    "BILLING_REQUIRED",
    "BUDGETS_COLUMNS",
    "BUDGETS_REQUIRED",
    "CUSTOMERS_COLUMNS",
    "CUSTOMERS_REQUIRED",
    "FX_RATES_COLUMNS",
    "FX_RATES_REQUIRED",
    "K8S_NAMESPACES_COLUMNS",
    "K8S_NAMESPACES_REQUIRED",
    "K8S_USAGE_COLUMNS",
    "K8S_USAGE_REQUIRED",
    "LINEAGE_COLUMNS",
    "OTHER_COSTS_COLUMNS",
    "OTHER_COSTS_REQUIRED",
    "REVENUE_COLUMNS",
    "REVENUE_REQUIRED",
    "SUPPORT_RATES_COLUMNS",
    "SUPPORT_TICKETS_COLUMNS",
    "TABLES",
    "USAGE_COLUMNS",
    "USAGE_REQUIRED",
    "LandingSummary",
    "TableSpec",
    "billing_table_spec",
    "export_parquet",
    "land",
    "landed_columns",
]

# --------------------------------------------------------------------------------------------
# The fixed column sets
# --------------------------------------------------------------------------------------------

#: FOCUS 1.0-1.3 cost-and-usage columns as (FocusName, landed snake_case name), in landed order
#: (defined with the FOCUS format in :mod:`cpc.formats.focus`).
BILLING_COLUMNS: tuple[tuple[str, str], ...] = focus_format.FORMAT.columns
BILLING_REQUIRED: tuple[str, ...] = focus_format.FORMAT.required

USAGE_COLUMNS: tuple[str, ...] = (
    "usage_date",
    "customer_id",
    "metric",
    "quantity",
    "service_name",
    "resource_id",
    "region_id",
    "sub_account_id",
    "feature",
    "sample_rate",
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
#: A month's budget for one customer, or for each customer of a segment (staging checks that a
#: record names exactly one of the two).
BUDGETS_COLUMNS: tuple[str, ...] = ("customer_id", "segment", "month", "amount", "currency")
BUDGETS_REQUIRED: tuple[str, ...] = ("month", "amount")
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

#: Costs outside the cloud bills (licences, capital, contractors), amortized over months.
OTHER_COSTS_COLUMNS: tuple[str, ...] = (
    "cost_id",
    "description",
    "category",
    "amount",
    "currency",
    "incurred_date",
    "amortization_months",
    "customer_id",
    "pool",
)
OTHER_COSTS_REQUIRED: tuple[str, ...] = ("cost_id", "category", "amount", "incurred_date")

#: Reporting-currency units per one unit of ``currency`` on ``date``.
FX_RATES_COLUMNS: tuple[str, ...] = ("date", "currency", "rate")
FX_RATES_REQUIRED: tuple[str, ...] = ("date", "currency", "rate")

#: Kubernetes pod requests and usage per interval (customer_id: the tenant label, optional;
#: node_cpu_cores / node_memory_bytes: the node's capacity, optional).
K8S_USAGE_COLUMNS: tuple[str, ...] = (
    "interval_start",
    "interval_end",
    "cluster_id",
    "node_id",
    "namespace",
    "pod",
    "cpu_request_cores",
    "cpu_usage_cores",
    "memory_request_bytes",
    "memory_usage_bytes",
    "customer_id",
    "node_cpu_cores",
    "node_memory_bytes",
)
K8S_USAGE_REQUIRED: tuple[str, ...] = (
    "interval_start",
    "interval_end",
    "node_id",
    "namespace",
    "cpu_request_cores",
    "cpu_usage_cores",
    "memory_request_bytes",
    "memory_usage_bytes",
)

#: Which customer a Kubernetes namespace belongs to.
K8S_NAMESPACES_COLUMNS: tuple[str, ...] = ("cluster_id", "namespace", "customer_id")
K8S_NAMESPACES_REQUIRED: tuple[str, ...] = ("namespace", "customer_id")

#: Lineage columns appended to every landed table, as (name, type).
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
    ("_delivered_at", "VARCHAR"),
    ("_source_variant", "VARCHAR"),
    ("_decimal_mark", "VARCHAR"),
    ("_date_order", "VARCHAR"),
)

#: Tables are built under this prefix and renamed when every file has landed.
_SHADOW_PREFIX = "_cpc_landing_"

#: The folder whose files are recognized by their header and land in their format's table.
BILLING_FOLDER = "billing"

_DATA_SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet")
_JSON_SUFFIXES: tuple[str, ...] = (
    ".json",
    ".jsonl",
    ".ndjson",
    ".json.gz",
    ".jsonl.gz",
    ".ndjson.gz",
)
_DATA_WORDS = ".csv, .csv.gz or .parquet"
_BILLING_WORDS = ".csv, .csv.gz, .parquet or JSON lines (.json, .jsonl, .ndjson, optionally .gz)"


@dataclass(frozen=True)
class TableSpec:
    """One landed table: its columns, required columns and where its files come from."""

    name: str
    #: (display name used in messages, landed column name), in landed order. A landed name may
    #: appear more than once, with different display names (aliases matched to one column).
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
    #: The billing format whose files land here (tables fed by billing/), else None.
    billing_format: BillingFormat | None = None
    #: Columns holding numbers and dates, read to decide each file's conventions
    #: (:mod:`cpc.conventions`).
    numeric_columns: tuple[str, ...] = ()
    date_columns: tuple[str, ...] = ()

    @property
    def landed_names(self) -> tuple[str, ...]:
        """The landed data column names, in order, each once (without lineage columns)."""
        return tuple(dict.fromkeys(landed for _, landed in self.columns))

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
        """Header match key -> landed column name (display and landed names both match; the
        first column listed wins where two keys coincide)."""
        keys: dict[str, str] = {}
        for shown, landed in self.columns:
            keys.setdefault(match_key(shown), landed)
            keys.setdefault(match_key(landed), landed)
        return keys


def _plain(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(name, name) pairs for tables whose display and landed names are the same."""
    return tuple((name, name) for name in names)


def billing_table_spec(fmt: BillingFormat) -> TableSpec:
    """The landed table of a billing format.

    Its columns are the format's ``columns``, plus any required column and the tags column when
    the format does not list them (so a format always lands what it requires).
    """
    columns = list(fmt.columns)
    listed = {landed for _, landed in columns}
    for name in (*fmt.required, fmt.tags_column):
        if name and name not in listed:
            columns.append((name, name))
            listed.add(name)
    return TableSpec(
        name=fmt.table,
        columns=tuple(columns),
        required=fmt.required,
        folder=BILLING_FOLDER,
        filename=None,
        input_required=False,
        hint=f"({fmt.label} column names expected)",
        billing_format=fmt,
        numeric_columns=fmt.numeric_columns,
        date_columns=fmt.date_columns,
    )


TABLES: tuple[TableSpec, ...] = (
    *(billing_table_spec(fmt) for fmt in FORMATS),
    TableSpec(
        name="usage",
        columns=_plain(USAGE_COLUMNS),
        required=USAGE_REQUIRED,
        folder="usage",
        filename=None,
        input_required=False,
        hint="(expected usage_date, customer_id, metric, quantity "
        "[, service_name, resource_id, region_id, sub_account_id, feature, sample_rate])",
        numeric_columns=("quantity", "sample_rate"),
        date_columns=("usage_date",),
    ),
    TableSpec(
        name="customers",
        columns=_plain(CUSTOMERS_COLUMNS),
        required=CUSTOMERS_REQUIRED,
        folder=None,
        filename="customers.csv",
        input_required=True,
        hint="(expected customer_id, customer_name, segment [, region, active_from, active_to])",
        numeric_columns=(),
        date_columns=("active_from", "active_to"),
    ),
    TableSpec(
        name="revenue",
        columns=_plain(REVENUE_COLUMNS),
        required=REVENUE_REQUIRED,
        folder=None,
        filename="revenue.csv",
        input_required=False,
        hint="(expected customer_id, month, revenue, currency)",
        numeric_columns=("revenue",),
        date_columns=(),
    ),
    TableSpec(
        name="budgets",
        columns=_plain(BUDGETS_COLUMNS),
        required=BUDGETS_REQUIRED,
        folder=None,
        filename="budgets.csv",
        input_required=False,
        hint="(expected customer_id or segment, month, amount [, currency])",
        numeric_columns=("amount",),
        date_columns=(),
    ),
    TableSpec(
        name="support_tickets",
        columns=_plain(SUPPORT_TICKETS_COLUMNS),
        required=SUPPORT_TICKETS_REQUIRED,
        folder=None,
        filename="support_tickets.csv",
        input_required=False,
        hint="(expected ticket_id, customer_id, opened_at, handle_minutes [, agent_tier])",
        numeric_columns=("handle_minutes",),
        date_columns=("opened_at",),
    ),
    TableSpec(
        name="support_rates",
        columns=_plain(SUPPORT_RATES_COLUMNS),
        required=SUPPORT_RATES_REQUIRED,
        folder=None,
        filename="support_rates.csv",
        input_required=False,
        hint="(expected agent_tier, hourly_rate [, currency, effective_from, effective_to])",
        numeric_columns=("hourly_rate",),
        date_columns=("effective_from", "effective_to"),
    ),
    TableSpec(
        name="other_costs",
        columns=_plain(OTHER_COSTS_COLUMNS),
        required=OTHER_COSTS_REQUIRED,
        folder=None,
        filename="other_costs.csv",
        input_required=False,
        hint="(expected cost_id, category, amount, incurred_date [, description, currency, "
        "amortization_months, customer_id, pool])",
        numeric_columns=("amount", "amortization_months"),
        date_columns=("incurred_date",),
    ),
    TableSpec(
        name="fx_rates",
        columns=_plain(FX_RATES_COLUMNS),
        required=FX_RATES_REQUIRED,
        folder=None,
        filename="fx_rates.csv",
        input_required=False,
        hint="(expected date, currency, rate)",
        numeric_columns=("rate",),
        date_columns=("date",),
    ),
    TableSpec(
        name="k8s_usage",
        columns=_plain(K8S_USAGE_COLUMNS),
        required=K8S_USAGE_REQUIRED,
        folder="k8s_usage",
        filename=None,
        input_required=False,
        hint="(expected interval_start, interval_end, node_id, namespace, cpu_request_cores, "
        "cpu_usage_cores, memory_request_bytes, memory_usage_bytes [, cluster_id, pod, "
        "customer_id, node_cpu_cores, node_memory_bytes])",
        numeric_columns=(
            "cpu_request_cores", "cpu_usage_cores", "memory_request_bytes", "memory_usage_bytes",
            "node_cpu_cores", "node_memory_bytes",
        ),
        date_columns=("interval_start", "interval_end"),
    ),
    TableSpec(
        name="k8s_namespaces",
        columns=_plain(K8S_NAMESPACES_COLUMNS),
        required=K8S_NAMESPACES_REQUIRED,
        folder=None,
        filename="k8s_namespaces.csv",
        input_required=False,
        hint="(expected namespace, customer_id [, cluster_id])",
    ),
)
_TABLES_BY_NAME: dict[str, TableSpec] = {spec.name: spec for spec in TABLES}
_BILLING_SPECS: dict[str, TableSpec] = {
    spec.billing_format.name: spec for spec in TABLES if spec.billing_format is not None
}


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
    #: Landed rows per table (every table of TABLES, zero for empty ones).
    table_rows: dict[str, int] = field(default_factory=dict)
    #: Landed rows per file, keyed by the path relative to the input dir (as in _source_file).
    file_rows: dict[str, int] = field(default_factory=dict)
    #: Table each file landed in, keyed like file_rows.
    file_tables: dict[str, str] = field(default_factory=dict)
    #: Billing format recognized for each file of billing/ (focus, aws_cur, ...), keyed like
    #: file_rows (an empty file, whose format cannot be told, is not listed).
    file_formats: dict[str, str] = field(default_factory=dict)
    #: Seconds spent landing each file, keyed like file_rows.
    file_seconds: dict[str, float] = field(default_factory=dict)
    #: Files landed, relative to the input dir, in landing order (read, or kept as below).
    files_landed: list[str] = field(default_factory=list)
    #: Files the last landing into this warehouse read that have not changed since (same path,
    #: table, size and content): their rows were kept rather than read again (cpc.landed_files).
    files_kept: list[str] = field(default_factory=list)
    #: CSV files re-delivered with records appended to the text the last landing read of them:
    #: only the new records were read, the earlier rows kept in place (their number, by file).
    files_appended: dict[str, int] = field(default_factory=dict)
    #: Header names that match no landed column (x_ vendor columns etc.), per file.
    unknown_columns: dict[str, list[str]] = field(default_factory=dict)
    #: Files under billing/, usage/ or k8s_usage/ that were not read, with the reason.
    skipped_files: dict[str, str] = field(default_factory=dict)
    #: Records holding a line break inside a value, per CSV file (see notes).
    multiline_records: dict[str, int] = field(default_factory=dict)
    #: How each file writes numbers and dates (decimal mark, date order), keyed like file_rows.
    file_conventions: dict[str, conventions.FileConventions] = field(default_factory=dict)
    #: The delimiter of each CSV file ('' for parquet and JSON), keyed like file_rows.
    file_delimiters: dict[str, str] = field(default_factory=dict)
    #: Other remarks (an optional input missing, an empty file).
    notes: list[str] = field(default_factory=list)
    #: Wall-clock seconds the landing took.
    seconds: float = 0.0

    @property
    def files_read(self) -> int:
        """How many of the files landed were read (the others kept their rows)."""
        return len(self.files_landed) - len(self.files_kept)

    def describe(self) -> list[str]:
        """A few human-readable lines summarising the landing."""
        lines = [
            (
                f"Landed {len(self.files_landed)} file(s) from {self.input_dir} into schema "
                f"{self.schema} in {self.seconds:.1f} s"
            )
        ]
        if self.files_kept:
            lines.append(
                f"  kept {len(self.files_kept)} unchanged file(s) from the last landing (same path, size and "
                f"content), read {self.files_read}"
            )
        if self.files_appended:
            new = sum(self.file_rows[rel] - kept for rel, kept in self.files_appended.items())
            lines.append(
                f"  kept the earlier records of {len(self.files_appended)} file(s) re-delivered with "
                f"records appended, and read only the {new:,} new ones"
            )
        empty: list[str] = []
        for spec in TABLES:
            n_files = sum(1 for t in self.file_tables.values() if t == spec.name)
            rows = self.table_rows.get(spec.name, 0)
            if n_files or rows:
                lines.append(f"  {spec.name}: {rows:,} row(s) from {n_files} file(s)")
            else:
                empty.append(spec.name)
        if empty:
            lines.append(f"  empty: {', '.join(empty)}")
        for path, names in self.unknown_columns.items():
            shown = ", ".join(names[:8]) + (f", … (+{len(names) - 8})" if len(names) > 8 else "")
            lines.append(f"  {path}: {len(names)} column(s) not landed: {shown}")
        for path, reason in self.skipped_files.items():
            lines.append(f"  skipped {path}: {reason}")
        for path, decided in self.file_conventions.items():
            line = conventions.describe(path, self.file_delimiters.get(path, ""), decided)
            if line:
                lines.append(f"  {line}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return lines


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace so a message fits on one line, and cap its length."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _duckdb_reason(exc: BaseException) -> str:
    """The first meaningful line of a DuckDB error, without the 'X Error:' prefix."""
    first = next((ln for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
    return _one_line(re.sub(r"^[A-Za-z ]*Error:\s*", "", first.strip()))


#: The decimal mark and date order every row lands with, until its file's are decided from its
#: values (:func:`_apply_conventions`): what a file without decimal commas or slash dates keeps.
LANDED_MARKS: tuple[str, str | None] = ("point", None)


def _marks(found: conventions.FileConventions | None) -> tuple[str, str | None]:
    """A file's decided decimal mark and date order (LANDED_MARKS when none was decided)."""
    return (found.decimal_mark, found.date_order) if found else LANDED_MARKS


def _lineage_values(path: Path, rel: str, row_number: str, variant: str | None) -> list[str]:
    """SQL for the lineage columns, in LINEAGE_COLUMNS order: ``_source_file``, ``_source_row``
    (the given expression), ``_delivered_at`` (the file's modification time, UTC ISO 8601),
    ``_source_variant``, and the file's conventions ``_decimal_mark`` and ``_date_order``, landed
    as LANDED_MARKS and set once the file's values are read (:func:`_apply_conventions`)."""
    modified = landed_files.delivered_at(path)
    mark, date_order = LANDED_MARKS
    return [_literal(rel), row_number, _literal(modified), _literal_or_null(variant), _literal(mark),
            _literal_or_null(date_order)]


def _data_suffix(name: str, suffixes: tuple[str, ...]) -> str | None:
    """The longest of the suffixes a file name ends with (case-insensitive), or None."""
    lower = name.lower()
    found = [suffix for suffix in suffixes if lower.endswith(suffix)]
    return max(found, key=len) if found else None


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
        suffix = _data_suffix(path.name, _DATA_SUFFIXES + _JSON_SUFFIXES) or path.suffix.lower()
        alias = Path(tmp_dir) / f"input{suffix}"
        try:
            os.symlink(path.absolute(), alias)
        except OSError:
            shutil.copyfile(path, alias)
        yield str(alias)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Header inspection (CSV, JSON lines)
# --------------------------------------------------------------------------------------------

_PROBE_CHUNK = 1 << 16


@dataclass(frozen=True)
class _CsvHead:
    """What we need to know about a CSV file before DuckDB reads it."""

    gzipped: bool
    #: Blank lines before the header line (passed to DuckDB as ``skip``).
    skip: int
    #: Header fields as written, or None for an empty file (no header line at all).
    header: list[str] | None
    #: The field delimiter: the one of , ; tab | that splits the header into the most fields.
    delimiter: str = ","


def _probe_csv(path: Path, rel: str) -> _CsvHead:
    """Detect gzip by content, find the header line and parse it (csv module, RFC 4180)."""
    try:
        gzipped = landed_files.is_gzip(path)
        opener = gzip.open if gzipped else open
        data = b""
        with opener(path, "rb") as fh:
            while len(data) < landed_files.HEADER_LIMIT:
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
            complete = index < len(lines) - 1 or len(data) < landed_files.HEADER_LIMIT
            if not complete:
                raise UserError(f"{rel}: header line longer than {landed_files.HEADER_LIMIT >> 20} MiB")
            try:
                text = raw.rstrip(b"\r").decode("utf-8")
            except UnicodeDecodeError as exc:
                raise UserError(
                    f"{rel}: header line is not valid UTF-8; save the file as UTF-8"
                ) from exc
            delimiter, header = _split_header(text)
            return _CsvHead(gzipped=gzipped, skip=skip, header=header, delimiter=delimiter)
        skip += 1
    return _CsvHead(gzipped=gzipped, skip=skip, header=None)



#: Field delimiters a CSV file may use; the first wins a tie.
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {
    ",": "comma-delimited", ";": "semicolon-delimited", "\t": "tab-delimited",
    "|": "pipe-delimited",
}


def _split_header(text: str) -> tuple[str, list[str]]:
    """(delimiter, fields) of a header line: the delimiter that splits it into the most fields
    (a comma when none splits it), so a semicolon-delimited spreadsheet export reads as such."""
    best = (",", next(csv.reader([text], delimiter=",", quotechar='"', doublequote=True)))
    for delimiter in _DELIMITERS[1:]:
        fields = next(csv.reader([text], delimiter=delimiter, quotechar='"', doublequote=True))
        if len(fields) > len(best[1]):
            best = (delimiter, fields)
    return best


def _probe_json(path: Path, rel: str) -> tuple[bool, bool]:
    """(gzip-compressed, empty) for a JSON lines file; checks it starts like JSON records."""
    gzipped = False
    try:
        gzipped = landed_files.is_gzip(path)
        opener = gzip.open if gzipped else open
        start = b""
        read = 0
        with opener(path, "rb") as fh:
            while not start and read < landed_files.HEADER_LIMIT:
                chunk = fh.read(_PROBE_CHUNK)
                if not chunk:
                    break
                read += len(chunk)
                start = chunk.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    except (OSError, EOFError, zlib.error) as exc:
        what = "gzip-compressed JSON" if gzipped else "JSON file"
        raise UserError(f"{rel}: cannot read {what}: {_one_line(str(exc))}") from exc
    if not start:
        return gzipped, True
    if start == b"[":
        raise UserError(
            f"{rel}: a JSON array; expected JSON lines (one JSON object per line, as BigQuery "
            "exports them)"
        )
    if start != b"{":
        raise UserError(f"{rel}: not JSON lines (expected one JSON object per line)")
    return gzipped, False


# --------------------------------------------------------------------------------------------
# Reading a file's columns
# --------------------------------------------------------------------------------------------


@dataclass
class _Inspected:
    """A data file whose columns have been read, before it lands."""

    path: Path
    rel: str
    #: "csv", "parquet" or "json"
    kind: str
    #: Column names as written (nested records flattened to ``a.b``), or None for an empty file.
    header: list[str] | None
    #: CSV only: what the probe found.
    csv_head: _CsvHead | None = None
    #: Parquet and JSON only: the top-level columns and their DuckDB types.
    types: list[tuple[str, duckdb.DuckDBPyType]] = field(default_factory=list)
    #: JSON only: whether the file is gzip-compressed.
    gzipped: bool = False

    def detection_names(self) -> list[str]:
        """The names a billing format's signature is matched against: the header plus, for
        nested records, the record paths themselves (``service`` besides ``service.id``)."""
        names = list(self.header or [])
        for name, dtype in self.types:
            names.extend(path for path, _ in _struct_paths(name, dtype))
        return names


def _is_struct(dtype: duckdb.DuckDBPyType) -> bool:
    """Whether a DuckDB type is a STRUCT with at least one field."""
    return dtype.id == "struct" and bool(dtype.children)


def _struct_paths(
    name: str, dtype: duckdb.DuckDBPyType
) -> Iterator[tuple[str, duckdb.DuckDBPyType]]:
    """Every (dotted path, type) of the STRUCTs nested in a column (the column itself included)."""
    if _is_struct(dtype):
        yield name, dtype
        for child, child_type in dtype.children:
            yield from _struct_paths(f"{name}.{child}", child_type)


@dataclass(frozen=True)
class _Leaf:
    """One flattened column of a parquet or JSON file."""

    name: str
    #: SQL reaching the value from the file's columns.
    expr: str
    dtype: duckdb.DuckDBPyType


def _flatten(
    types: list[tuple[str, duckdb.DuckDBPyType]], keep_whole: Callable[[str], bool]
) -> list[_Leaf]:
    """The leaves of the columns: STRUCT fields recursively, as ``a.b`` names.

    A STRUCT whose path ``keep_whole`` accepts (it names a landed column) is one leaf.
    """
    leaves: list[_Leaf] = []

    def walk(name: str, expr: str, dtype: duckdb.DuckDBPyType) -> None:
        if _is_struct(dtype) and not keep_whole(name):
            for child, child_type in dtype.children:
                walk(f"{name}.{child}", f"struct_extract({expr}, {_literal(child)})", child_type)
        else:
            leaves.append(_Leaf(name, expr, dtype))

    for name, dtype in types:
        walk(name, _ident(name), dtype)
    return leaves


def _never(_: str) -> bool:
    """keep_whole for :func:`_flatten` that flattens every nested record."""
    return False


def _json_source(readable: str, gzipped: bool, columns: str | None = None) -> str:
    """``read_json(...)`` reading newline-delimited JSON records: with ``columns`` the given
    types, else the types detected from every record (BigQuery leaves NULL fields out of its
    JSON export, so a field may first appear deep in a file; a sample would miss it)."""
    options = [
        _literal(readable),
        "format = 'newline_delimited'",
        "records = true",
        f"compression = '{'gzip' if gzipped else 'none'}'",
        f"columns = {columns}" if columns is not None else "sample_size = -1",
    ]
    return f"read_json({', '.join(options)})"


def _parquet_source(readable: str) -> str:
    """``read_parquet(...)`` with the file row number."""
    return f"read_parquet({_literal(readable)}, file_row_number = true, binary_as_string = true)"


def _json_error(rel: str, exc: BaseException) -> UserError:
    """A one-line UserError for a DuckDB JSON reader error, naming the line when DuckDB does."""
    text = str(exc)
    if "expected records, but got non-record JSON" in text:
        return UserError(f"{rel}: not JSON lines (expected one JSON object per line)")
    found = re.search(r"in line (\d+): ?(.*)", text)
    if found:
        detail = _one_line(found.group(2).split("\n")[0].strip().rstrip("."), 160)
        malformed = "malformed JSON: " if text.lstrip().startswith(
            ("Invalid Input Error: Malformed", "Malformed")
        ) else ""
        return UserError(f"{rel}: line {found.group(1)}: {malformed}{detail}")
    return UserError(f"{rel}: cannot read JSON: {_duckdb_reason(exc)}")


def _kind(path: Path, suffixes: tuple[str, ...]) -> str:
    """"parquet", "json" or "csv", from the file name."""
    suffix = _data_suffix(path.name, suffixes) or ""
    if suffix == ".parquet":
        return "parquet"
    if suffix in _JSON_SUFFIXES:
        return "json"
    return "csv"


def _inspect(con: duckdb.DuckDBPyConnection, path: Path, rel: str, kind: str) -> _Inspected:
    """Read a data file's columns (header line, parquet schema, JSON records' fields)."""
    if kind == "csv":
        head = _probe_csv(path, rel)
        return _Inspected(path, rel, kind, head.header, csv_head=head)
    if kind == "json":
        gzipped, empty = _probe_json(path, rel)
        if empty:
            return _Inspected(path, rel, kind, None, gzipped=gzipped)
        with _readable_path(path) as readable:
            try:
                relation = con.sql(f"SELECT * FROM {_json_source(readable, gzipped)}")
                types = list(zip(relation.columns, relation.types, strict=True))
            except duckdb.Error as exc:
                raise _json_error(rel, exc) from exc
    else:
        gzipped = False
        with _readable_path(path) as readable:
            try:
                relation = con.sql(f"SELECT * FROM {_parquet_source(readable)}")
                types = [
                    (name, dtype)
                    for name, dtype in zip(relation.columns, relation.types, strict=True)
                    if name != "file_row_number"
                ]
            except duckdb.Error as exc:
                raise UserError(f"{rel}: cannot read parquet: {_duckdb_reason(exc)}") from exc
    header = [leaf.name for leaf in _flatten(types, _never)]
    return _Inspected(path, rel, kind, header, types=types, gzipped=gzipped)


# --------------------------------------------------------------------------------------------
# Column mapping
# --------------------------------------------------------------------------------------------


@dataclass
class _HeaderMap:
    """How a file's columns map to a table's landed columns."""

    #: landed name -> position in the header
    matched: dict[str, int]
    #: header names that match nothing (reported, not landed)
    unknown: list[str]
    #: (tag key, position in the header) of the columns packed into the tags column
    tags: list[tuple[str, int]]


def _tag_key(header_name: str, prefix_key: str) -> str:
    """The tag key in a tag column's header: the text after the prefix as written.

    ``resourceTags/user:Team`` -> ``user:Team``; ``resource_tags_user_team`` -> ``user_team``.
    """
    name = header_name.strip().lstrip("\ufeff")
    for end in range(1, len(name) + 1):
        if match_key(name[:end]) == prefix_key:
            rest = name[end:]
            while rest and not match_key(rest[0]):  # the separator after the prefix
                rest = rest[1:]
            return rest
    return name


def _map_header(rel: str, header: list[str], spec: TableSpec) -> _HeaderMap:
    """Map header positions to landed columns (and tag columns to the tags column).

    Raises UserError when a required column is missing or two header names map to one column.
    """
    keys = spec.lookup()
    fmt = spec.billing_format
    prefix_keys = [match_key(p) for p in fmt.tag_prefixes] if fmt and fmt.tags_column else []
    prefix_keys = [key for key in prefix_keys if key]
    matched: dict[str, int] = {}
    unknown: list[str] = []
    tags: list[tuple[str, int]] = []
    for position, name in enumerate(header):
        key = match_key(name)
        landed = keys.get(key)
        if landed is None:
            prefix = next((p for p in prefix_keys if key.startswith(p) and key != p), None)
            if prefix is not None:
                tags.append((_tag_key(name, prefix), position))
            else:
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
    if tags and fmt is not None and fmt.tags_column in matched:
        # The file has the packed column itself (CUR 2.0 resource_tags): it lands as it is.
        unknown.extend(header[position].strip() for _, position in tags)
        tags = []
    seen: dict[str, int] = {}
    for tag, position in tags:
        if tag in seen:
            raise UserError(
                f"{rel}: columns {header[seen[tag]].strip()!r} and {header[position].strip()!r} "
                f"are the same tag {tag!r}; keep only one"
            )
        seen[tag] = position
    return _HeaderMap(matched, unknown, tags)


def _pack_tags(entries: list[tuple[str, str]]) -> str:
    """SQL packing (tag key, SQL text value) pairs into one JSON object text, leaving out NULL
    and empty values; NULL when no value is left."""
    items = ", ".join(f"{{'k': {_literal(key)}, 'v': {value}}}" for key, value in entries)
    kept = f"list_filter([{items}], lambda tag: tag.v IS NOT NULL AND tag.v <> '')"
    return f"NULLIF(CAST(to_json(map_from_entries({kept})) AS VARCHAR), '{{}}')"


def _select_list(spec: TableSpec, mapping: _HeaderMap, value: Callable[[int], str]) -> list[str]:
    """SQL for the landed data columns, in order; ``value`` renders a header position as text."""
    tags_column = spec.billing_format.tags_column if spec.billing_format else None
    select: list[str] = []
    for name in spec.landed_names:
        if name in mapping.matched:
            select.append(value(mapping.matched[name]))
        elif name == tags_column and mapping.tags:
            select.append(_pack_tags([(key, value(position)) for key, position in mapping.tags]))
        else:
            select.append("CAST(NULL AS VARCHAR)")
    return select


def _insert_sql(spec: TableSpec, target: str, select_list: list[str], source: str) -> str:
    """INSERT ... SELECT statement landing one file into the target table."""
    names = (*spec.landed_names, *(name for name, _ in LINEAGE_COLUMNS))
    columns = ", ".join(_ident(c) for c in names)
    return f"INSERT INTO {target} ({columns}) SELECT {', '.join(select_list)} FROM {source}"


def _variant(spec: TableSpec, header: list[str], rel: str) -> str | None:
    """The ``_source_variant`` of a file, as its billing format tells it (else None)."""
    fmt = spec.billing_format
    if fmt is None or fmt.variant is None:
        return None
    return fmt.variant(list(header), rel)


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


def _land_csv(
    con: duckdb.DuckDBPyConnection,
    source: _Inspected,
    spec: TableSpec,
    target: str,
    summary: LandingSummary,
    appended: Path | None = None,
    rows_before: int = 0,
) -> int:
    """Land one CSV (optionally gzip-compressed) file; return the number of rows landed. Given
    ``appended`` (the file's header lines and the records after its first ``rows_before``, as
    plain text), land only those records, numbered on from ``rows_before``."""
    path, rel, head = source.path, source.rel, source.csv_head
    assert head is not None
    if appended is not None:
        head = dataclasses.replace(head, gzipped=False)
    if head.header is None:
        summary.notes.append(f"{rel} is empty (no header line); landed 0 rows")
        return 0
    mapping = _map_header(rel, head.header, spec)
    if mapping.unknown:
        summary.unknown_columns[rel] = mapping.unknown

    # Columns are named by position (c0, c1, ...): the header text never reaches DuckDB, so
    # duplicate, blank or odd header names cannot confuse it.
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(head.header))) + "}"
    select_list = _select_list(spec, mapping, lambda position: f"c{position}")
    # _source_row: row_number() OVER () with an empty window is planned as DuckDB's streaming
    # window, whose operator order is FIXED_ORDER: the scan feeding it delivers records in file
    # order even when the CSV is parsed by several threads and whatever preserve_insertion_order
    # says. So the number is the record's position in the file (header and blank lines not
    # counted). Tested on 4M rows with 1-16 threads, and in test_landing.py on 150k rows.
    row_number = "row_number() OVER ()" + (f" + {int(rows_before)}" if rows_before else "")
    select_list += _lineage_values(path, rel, row_number, _variant(spec, head.header, rel))

    with _readable_path(appended or path) as readable:

        def insert(null_padding: bool, parallel: bool) -> int:
            options = ", ".join(
                [
                    _literal(readable),
                    "header = true",
                    f"skip = {head.skip}",
                    "auto_detect = false",
                    f"columns = {columns}",
                    f"delim = {_literal(head.delimiter)}",
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
        expected = _count_csv_records(appended or path, head, rel)
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
            reader = csv.reader(
                fh, delimiter=head.delimiter, quotechar='"', doublequote=True, strict=True
            )
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


_NESTED_TYPES = frozenset({"struct", "list", "map", "array", "union"})


def _text_value(expr: str, dtype: duckdb.DuckDBPyType) -> str:
    """SQL rendering one typed (parquet) value as raw text."""
    kind = str(dtype).upper()
    if dtype.id in _NESTED_TYPES:
        return f"CAST(to_json({expr}) AS VARCHAR)"
    if kind == "VARCHAR":
        return f"NULLIF({expr}, '')"
    if kind == "JSON":
        return f"NULLIF(CAST({expr} AS VARCHAR), '')"
    if kind in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        utc = f"timezone('UTC', {expr})"
        return (
            f"CASE WHEN microsecond({utc}) % 1000000 = 0 "
            f"THEN strftime({utc}, '%Y-%m-%dT%H:%M:%SZ') "
            f"ELSE strftime({utc}, '%Y-%m-%dT%H:%M:%S.%fZ') END"
        )
    if kind.startswith("TIMESTAMP"):
        naive = f"CAST({expr} AS TIMESTAMP)"
        return (
            f"CASE WHEN microsecond({naive}) % 1000000 = 0 "
            f"THEN strftime({naive}, '%Y-%m-%dT%H:%M:%S') "
            f"ELSE strftime({naive}, '%Y-%m-%dT%H:%M:%S.%f') END"
        )
    return f"CAST({expr} AS VARCHAR)"


def _keep_whole(spec: TableSpec) -> Callable[[str], bool]:
    """Whether a nested record's path names one of the table's landed columns (it then lands
    whole, as JSON text, instead of being flattened)."""
    keys = spec.lookup()
    return lambda path: match_key(path) in keys


def _land_parquet(
    con: duckdb.DuckDBPyConnection,
    source: _Inspected,
    spec: TableSpec,
    target: str,
    summary: LandingSummary,
) -> int:
    """Land one parquet file; return the number of rows landed."""
    path, rel = source.path, source.rel
    leaves = _flatten(source.types, _keep_whole(spec))
    mapping = _map_header(rel, [leaf.name for leaf in leaves], spec)
    if mapping.unknown:
        summary.unknown_columns[rel] = mapping.unknown
    select_list = _select_list(
        spec, mapping, lambda position: _text_value(leaves[position].expr, leaves[position].dtype)
    )
    select_list += _lineage_values(
        path, rel, "file_row_number + 1", _variant(spec, source.header or [], rel)
    )
    with _readable_path(path) as readable:
        sql = _insert_sql(spec, target, select_list, _parquet_source(readable))
        try:
            result = con.execute(sql).fetchone()
        except duckdb.Error as exc:
            raise UserError(f"{rel}: cannot read parquet: {_duckdb_reason(exc)}") from exc
    return int(result[0]) if result else 0


def _json_type(path: str, dtype: duckdb.DuckDBPyType, keep_whole: Callable[[str], bool]) -> str:
    """The type a JSON field is read as: nested records as STRUCTs, everything else as VARCHAR
    (DuckDB then gives strings as written, numbers and booleans as their text, lists and
    objects as JSON text), so a value never fails a type guessed from the first records."""
    if _is_struct(dtype) and not keep_whole(path):
        fields = ", ".join(
            f"{_ident(child)} {_json_type(f'{path}.{child}', child_type, keep_whole)}"
            for child, child_type in dtype.children
        )
        return f"STRUCT({fields})"
    return "VARCHAR"


def _land_json(
    con: duckdb.DuckDBPyConnection,
    source: _Inspected,
    spec: TableSpec,
    target: str,
    summary: LandingSummary,
) -> int:
    """Land one JSON lines file (optionally gzip-compressed); return the number of rows landed."""
    path, rel = source.path, source.rel
    if source.header is None:
        summary.notes.append(f"{rel} is empty (no JSON records); landed 0 rows")
        return 0
    keep_whole = _keep_whole(spec)
    leaves = _flatten(source.types, keep_whole)
    mapping = _map_header(rel, [leaf.name for leaf in leaves], spec)
    if mapping.unknown:
        summary.unknown_columns[rel] = mapping.unknown
    columns = (
        "{"
        + ", ".join(
            f"{_literal(name)}: {_literal(_json_type(name, dtype, keep_whole))}"
            for name, dtype in source.types
        )
        + "}"
    )
    select_list = _select_list(
        spec, mapping, lambda position: f"NULLIF({leaves[position].expr}, '')"
    )
    # _source_row: the record's position in the file, as for CSV (see _land_csv).
    select_list += _lineage_values(
        path, rel, "row_number() OVER ()", _variant(spec, source.header, rel)
    )
    with _readable_path(path) as readable:
        sql = _insert_sql(spec, target, select_list, _json_source(readable, source.gzipped, columns))
        try:
            result = con.execute(sql).fetchone()
        except duckdb.Error as exc:
            raise _json_error(rel, exc) from exc
    return int(result[0]) if result else 0


_LANDERS: dict[
    str,
    Callable[[duckdb.DuckDBPyConnection, _Inspected, TableSpec, str, LandingSummary], int],
] = {"csv": _land_csv, "parquet": _land_parquet, "json": _land_json}


# --------------------------------------------------------------------------------------------
# Finding the input files
# --------------------------------------------------------------------------------------------


@dataclass
class _FileRead:
    """What reading one file gave: its rows, the seconds it took, and what it says of itself."""

    rows: int
    seconds: float
    notes: list[str]
    unknown_columns: list[str] | None
    #: A CSV file's text as read (its length and sha256, :func:`landed_files.scan_text`), else None.
    text: dict[str, Any] | None = None
    #: The rows of the last landing's read of the file, kept in the landed table, when only the
    #: records appended to it since were read; else None.
    rows_kept: int | None = None


@dataclass(frozen=True)
class _Earlier:
    """The last landing's read of a file that has changed since."""

    #: The landed table holding its rows.
    table: str
    rows: int
    #: Its text's length and sha256 (CSV only).
    text: dict[str, Any]


def _read_file(
    con: duckdb.DuckDBPyConnection, source: _Inspected, spec: TableSpec, target: str, earlier: _Earlier | None
) -> _FileRead:
    """Land one file into ``target`` through ``con``; a CSV file that goes on from the text the
    last landing read of it (``earlier``) has only its new records read."""
    own = LandingSummary(input_dir=source.path.parent, schema="")
    started = time.perf_counter()
    text: dict[str, Any] | None = None
    if source.csv_head is not None and source.csv_head.header is not None:
        with tempfile.TemporaryDirectory(prefix="cpc_landing_") as folder:
            tail = Path(folder) / "appended.csv"
            scan = landed_files.scan_text(
                source.path, source.csv_head.gzipped, earlier.text if earlier else None, source.csv_head.skip + 1, tail
            )
            text = scan.text if scan else None
            if scan is not None and scan.appended and earlier is not None:
                rows = _land_appended(con, source, spec, target, own, tail, earlier)
                if rows is not None:
                    return _FileRead(rows, time.perf_counter() - started, own.notes,
                                     own.unknown_columns.get(source.rel), text, earlier.rows)
                own = LandingSummary(input_dir=source.path.parent, schema="")
    rows = _LANDERS[source.kind](con, source, spec, target, own)
    return _FileRead(rows, time.perf_counter() - started, own.notes, own.unknown_columns.get(source.rel), text)


def _land_appended(
    con: duckdb.DuckDBPyConnection,
    source: _Inspected,
    spec: TableSpec,
    target: str,
    summary: LandingSummary,
    tail: Path,
    earlier: _Earlier,
) -> int | None:
    """Land the records of a CSV file after the text the last landing read of it (``tail``: the
    file's header lines, then those records), numbered on from the earlier ones, which stay in
    the table they landed in. Returns the rows of the file, earlier and new; None, with nothing
    landed, when the records after it do not read as a continuation (the file is then read whole,
    which names any problem by the file's own line numbers)."""
    head = source.csv_head
    assert head is not None
    held = con.execute(
        f"SELECT count(*), max(_source_row) FROM {earlier.table} WHERE _source_file = ?", [source.rel]
    ).fetchone()
    if held is None or (int(held[0]), held[1]) != (earlier.rows, earlier.rows or None):
        return None
    try:
        tail_head = _probe_csv(tail, source.rel)
        if (tail_head.skip, tail_head.header, tail_head.delimiter) != (head.skip, head.header, head.delimiter):
            return None
        added = _land_csv(con, source, spec, target, summary, appended=tail, rows_before=earlier.rows)
    except UserError:
        con.execute(f"DELETE FROM {target} WHERE _source_file = ?", [source.rel])
        return None
    return earlier.rows + added


def _read_files(
    con: duckdb.DuckDBPyConnection,
    sources: list[_Inspected],
    spec: TableSpec,
    target: str,
    on_file: Callable[[str, int, float], None] | None,
    earlier: dict[str, _Earlier],
) -> dict[str, _FileRead]:
    """Land the files of one table that are read (not kept), several at once.

    DuckDB decompresses a gzip file and numbers its records (``_source_row``) on one thread, so a
    delivery of a few large files would use one core; each file gets a connection of its own, up
    to one per core, and the inserts into the shared table never conflict. The error raised is
    the one a landing of the files one after another would give: that of the first failing file
    in the given order (the files after it that have not started are not read). ``on_file`` is
    told of each file as it finishes.
    """
    workers = min(len(sources), os.cpu_count() or 1)
    if workers <= 1:
        done: dict[str, _FileRead] = {}
        for source in sources:
            done[source.rel] = _read_file(con, source, spec, target, earlier.get(source.rel))
            if on_file is not None:
                on_file(source.rel, done[source.rel].rows, done[source.rel].seconds)
        return done

    connections: list[duckdb.DuckDBPyConnection] = []
    guard = threading.Lock()

    def read_on_own_connection(source: _Inspected) -> _FileRead:
        with guard:
            own = con.cursor()
            connections.append(own)
        try:
            return _read_file(own, source, spec, target, earlier.get(source.rel))
        finally:
            own.close()

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cpc-land")
    futures = [pool.submit(read_on_own_connection, source) for source in sources]
    order = {future: position for position, future in enumerate(futures)}
    try:
        for future in as_completed(futures):
            if future.cancelled():
                continue
            if future.exception() is not None:
                for later in futures:  # not started yet: every one after the running ones
                    later.cancel()
            elif on_file is not None:
                source = sources[order[future]]
                on_file(source.rel, future.result().rows, future.result().seconds)
    except BaseException:
        # Ctrl-C: stop the statements still running, then let the threads end.
        for future in futures:
            future.cancel()
        with guard:
            for own in connections:
                try:
                    own.interrupt()
                except duckdb.Error:
                    pass
        raise
    finally:
        pool.shutdown(wait=True)
    for future in futures:
        if not future.cancelled() and future.exception() is not None:
            raise future.exception()  # type: ignore[misc]
    return {source.rel: future.result() for source, future in zip(sources, futures, strict=True)}


def _folder_files(
    input_dir: Path,
    folder: str,
    table: str,
    required: bool,
    summary: LandingSummary,
) -> list[Path]:
    """Data files under a folder, sorted by relative path; records skipped files."""
    billing = folder == BILLING_FOLDER
    suffixes = _DATA_SUFFIXES + _JSON_SUFFIXES if billing else _DATA_SUFFIXES
    words = _BILLING_WORDS if billing else _DATA_WORDS
    label = f"{folder}/"
    path_dir = input_dir / folder
    if not path_dir.exists():
        if required:
            raise UserError(
                f"{label}: folder not found in {input_dir} (put the billing exports there: "
                f"FOCUS, AWS CUR, Azure, GCP or OCI files as {words})"
            )
        summary.notes.append(f"no {label} folder: {table} table is empty")
        return []
    if not path_dir.is_dir():
        raise UserError(f"{label}: expected a folder, found a file")
    found: list[Path] = []
    for path in sorted(path_dir.rglob("*"), key=lambda p: p.relative_to(input_dir).as_posix()):
        if not path.is_file():
            continue
        rel_parts = path.relative_to(input_dir).parts
        rel = "/".join(rel_parts)
        if any(part.startswith(".") for part in rel_parts):
            continue  # hidden files: .DS_Store, macOS ._resource forks, editor swap files
        if _data_suffix(path.name, suffixes):
            found.append(path)
        else:
            summary.skipped_files[rel] = f"not a {words} file"
    if not found:
        if required:
            raise UserError(f"{label}: no {words} files found in {path_dir}")
        summary.notes.append(f"{label} holds no data files: {table} table is empty")
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


def _plan(
    con: duckdb.DuckDBPyConnection, input_dir: Path, summary: LandingSummary
) -> dict[str, list[_Inspected]]:
    """Every input file, read for its columns, by the table it lands in (TABLES order).

    Each file of billing/ goes to the table of the billing format its header matches; an empty
    file (nothing to recognize) is listed under the first format's table and lands no rows.
    """
    plan: dict[str, list[_Inspected]] = {spec.name: [] for spec in TABLES}
    billing_paths = _folder_files(input_dir, BILLING_FOLDER, "billing", True, summary)
    for path in billing_paths:
        rel = path.relative_to(input_dir).as_posix()
        source = _inspect(con, path, rel, _kind(path, _DATA_SUFFIXES + _JSON_SUFFIXES))
        if source.header is None:
            plan[FORMATS[0].table].append(source)
            continue
        try:
            fmt = detect(source.detection_names(), rel)
        except UserError as exc:
            delimiter = source.csv_head.delimiter if source.csv_head else ","
            if delimiter != ",":
                raise UserError(f"{exc} (its header was read as {_DELIMITER_NAMES[delimiter]})") from exc
            if source.csv_head and len(source.header or []) == 1:
                raise UserError(f"{exc} (its header has one column: is it delimited?)") from exc
            raise
        summary.file_formats[rel] = fmt.name
        plan[fmt.table].append(source)
    for spec in TABLES:
        if spec.billing_format is not None:
            continue
        if spec.folder is not None:
            paths = _folder_files(input_dir, spec.folder, spec.name, spec.input_required, summary)
        else:
            paths = _single_file(input_dir, spec, summary)
        for path in paths:
            rel = path.relative_to(input_dir).as_posix()
            plan[spec.name].append(_inspect(con, path, rel, _kind(path, _DATA_SUFFIXES)))
    return plan


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _note_line_breaks(
    con: duckdb.DuckDBPyConnection,
    target: str,
    spec: TableSpec,
    csv_files: set[str],
    summary: LandingSummary,
) -> None:
    """Record, per CSV file, the records holding a line break inside a (quoted) value.

    Line breaks in quoted values are valid CSV, but they are also what an unbalanced quote
    produces when a later stray quote closes it: two lines merged into one record. Flagging
    them is the only way such a merge does not go unnoticed.
    """
    condition = " OR ".join(f"contains({_ident(name)}, chr(10))" for name in spec.landed_names)
    files = ", ".join(_literal(rel) for rel in sorted(csv_files))
    rows = con.execute(
        f"SELECT _source_file, count(*), min(_source_row) FROM {target} "
        f"WHERE _source_file IN ({files}) AND ({condition}) "
        "GROUP BY _source_file ORDER BY _source_file"
    ).fetchall()
    for rel, count, first in rows:
        summary.multiline_records[str(rel)] = int(count)
        summary.notes.append(
            f"{rel}: {count} record(s) hold a line break inside a quoted value (first: row "
            f"{first}); if unintended, an unbalanced quote merged lines"
        )


def _apply_conventions(
    con: duckdb.DuckDBPyConnection,
    target: str,
    spec: TableSpec,
    sources: list[_Inspected],
    settings: conventions.InputSettings,
    summary: LandingSummary,
    whole: str,
) -> None:
    """Decide each landed file's decimal mark and date order from its values (or input.yml), all
    its rows read in ``whole`` (``target``, and the earlier rows of a file re-delivered with records
    appended), and write them to its rows' ``_decimal_mark`` and ``_date_order`` in ``target`` where
    they differ from LANDED_MARKS. Raises UserError for a file whose slash dates
    cannot be ordered."""
    files = {
        source.rel: source.csv_head.delimiter if source.csv_head else ""
        for source in sources
        if summary.file_rows.get(source.rel)
    }
    if not files:
        return
    summary.file_delimiters.update(files)
    decided = conventions.decide(
        con, whole, files, list(spec.numeric_columns), list(spec.date_columns), settings
    )
    summary.file_conventions.update(decided)
    changed = [
        (rel, found) for rel, found in decided.items()
        if _marks(found) != LANDED_MARKS
    ]
    if changed:
        values = ", ".join(
            f"({_literal(rel)}, {_literal(found.decimal_mark)}, {_literal_or_null(found.date_order)})"
            for rel, found in changed
        )
        con.execute(
            f"UPDATE {target} SET _decimal_mark = decided.mark, _date_order = decided.date_order "
            f"FROM (VALUES {values}) AS decided(rel, mark, date_order) "
            f"WHERE {target}._source_file = decided.rel"
        )


def _appended_to(
    rel: str, before: dict[str, landed_files.LandedFile], marks: dict[str, tuple[str, str | None]]
) -> tuple[int, str, int] | None:
    """For a file re-delivered with records appended whose decimal mark and date order are still
    those its earlier rows were read with (``marks``: what was decided now, by appended file), the
    size, sha256 and rows of the version the last landing read; else None."""
    if rel not in marks:
        return None
    earlier = before[rel]
    decided = earlier.details.get("conventions") or {}
    held = (decided.get("decimal_mark", LANDED_MARKS[0]), decided.get("date_order", LANDED_MARKS[1]))
    if held != marks[rel]:
        return None
    return earlier.size_bytes, earlier.content_sha256, int(earlier.details["rows"])


def _create_table(con: duckdb.DuckDBPyConnection, target: str, spec: TableSpec) -> None:
    """Create (replacing) one landed table with its fixed columns."""
    columns = [f"{_ident(name)} VARCHAR" for name in spec.landed_names]
    columns += [f"{_ident(name)} {kind}" for name, kind in LINEAGE_COLUMNS]
    con.execute(f"CREATE OR REPLACE TABLE {target} ({', '.join(columns)})")


def land(
    input_dir: Path,
    con: duckdb.DuckDBPyConnection,
    schema: str = "cpc_raw",
    on_start: Callable[[int], None] | None = None,
    on_file: Callable[[str, int, float], None] | None = None,
) -> LandingSummary:
    """Land the input folder into ``{schema}.<table>`` for every table of :data:`TABLES`.

    Every table is created (replacing earlier ones) with a fixed column set, every data column
    VARCHAR, plus the lineage columns. Missing optional inputs give empty tables. Each file of
    billing/ lands in the table of the billing format its header matches. Files land in shadow
    tables that replace the previous tables only when every file has landed, so a failed landing
    leaves earlier landed tables untouched. A file the last landing into ``schema`` read and that
    has not changed since (same path, table, size and content; same landing code and input.yml) is
    not read again: its rows stay in the table (:mod:`cpc.landed_files`, ``summary.files_kept``),
    and the swap deletes the other files' earlier rows and inserts the new ones. Call it
    outside an open transaction. ``on_start`` is told how many files will land, ``on_file`` each
    file as it lands (path, rows, seconds).

    Raises:
        UserError: a required input is missing, or a file is unreadable, has an unrecognized
            billing layout, lacks a required column or holds a malformed record; the one-line
            message names the file.
    """
    started = time.perf_counter()
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise UserError(f"{input_dir}: input folder not found")
    summary = LandingSummary(input_dir=input_dir, schema=schema)

    # Find every input and read its columns first, so a missing required input or an
    # unrecognized billing file fails before any work is done.
    settings = conventions.load_settings(input_dir)
    plan = _plan(con, input_dir, summary)
    if on_start is not None:
        on_start(sum(len(sources) for sources in plan.values()))

    # Land into shadow tables, then swap them in with one transaction: a failed landing
    # leaves the tables of the previous landing untouched. (Not one big transaction: a failed
    # statement aborts a DuckDB transaction, and the CSV reader needs to retry some files.)
    # A file the last landing read, unchanged since (path, table, size, content), is not read
    # again: its rows stay in the table it landed in, which the swap then updates in place
    # (cpc.landed_files.merge_into) instead of being replaced by the shadow table.
    kept_by_table: dict[str, dict[str, str]] = {}
    marks_by_table: dict[str, dict[str, tuple[str, str | None]]] = {}
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
    key = landed_files.landing_key(input_dir)
    before = landed_files.previous(con, schema, key, [spec.name for spec in TABLES])
    shadows = {
        spec.name: f"{_ident(schema)}.{_ident(_SHADOW_PREFIX + spec.name)}" for spec in TABLES
    }
    # The landed tables, and the temporary views of a table's rows being read and the kept rows of
    # its files re-delivered with records appended (their conventions are decided over both).
    live = {spec.name: f"{_ident(schema)}.{_ident(spec.name)}" for spec in TABLES}
    whole_views = {spec.name: _ident(_SHADOW_PREFIX + spec.name + "_whole") for spec in TABLES}
    record = f"{_ident(schema)}.{_ident(_SHADOW_PREFIX + landed_files.RECORD_TABLE)}"
    try:
        landed_files.create_record(con, record)
        for spec in TABLES:
            target = shadows[spec.name]
            _create_table(con, target, spec)
            fingerprints = {source.rel: landed_files.fingerprint(source.path) for source in plan[spec.name]}
            delivered = {source.rel: landed_files.delivered_at(source.path) for source in plan[spec.name]}
            kept = {
                source.rel: delivered[source.rel]
                for source in plan[spec.name]
                if source.rel in before
                and (before[source.rel].landed_table, before[source.rel].size_bytes,
                     before[source.rel].content_sha256) == (spec.name, *fingerprints[source.rel])
            }
            read = [source for source in plan[spec.name] if source.rel not in kept]
            earlier = {
                source.rel: _Earlier(live[spec.name], int(before[source.rel].details["rows"]),
                                     before[source.rel].details["text"])
                for source in read
                if source.rel in before and before[source.rel].landed_table == spec.name
                and before[source.rel].details.get("text")
            }
            files_read = _read_files(con, read, spec, target, on_file, earlier)
            total = 0
            # What each file says goes into the summary in the plan's order, whichever file
            # finished first.
            for source in plan[spec.name]:
                if source.rel in kept:
                    file_started = time.perf_counter()
                    rows = landed_files.restore(summary, source.rel, before[source.rel].details)
                    summary.files_kept.append(source.rel)
                    seconds = time.perf_counter() - file_started
                    if on_file is not None:
                        on_file(source.rel, rows, seconds)
                else:
                    rows, seconds = files_read[source.rel].rows, files_read[source.rel].seconds
                    summary.notes.extend(files_read[source.rel].notes)
                    if files_read[source.rel].unknown_columns:
                        summary.unknown_columns[source.rel] = files_read[source.rel].unknown_columns
                    if rows == 0 and source.header is not None:
                        summary.notes.append(f"{source.rel} has a header but no records; landed 0 rows")
                    if files_read[source.rel].rows_kept is not None:
                        summary.files_appended[source.rel] = files_read[source.rel].rows_kept
                summary.files_landed.append(source.rel)
                summary.file_rows[source.rel] = rows
                summary.file_seconds[source.rel] = seconds
                summary.file_tables[source.rel] = spec.name
                total += rows
            summary.table_rows[spec.name] = total
            # A file re-delivered with records appended keeps its earlier rows in the landed table:
            # its conventions and line breaks are told from them and its new rows together.
            appended = {rel: delivered[rel] for rel, read_now in files_read.items() if read_now.rows_kept is not None}
            kept_by_table[spec.name] = {**kept, **appended}
            whole = target
            if appended:
                whole = whole_views[spec.name]
                con.execute(
                    f"CREATE OR REPLACE TEMP VIEW {whole} AS SELECT * FROM {target} UNION ALL "
                    f"SELECT * FROM {live[spec.name]} WHERE _source_file IN "
                    f"({', '.join(_literal(rel) for rel in sorted(appended))})"
                )
            _apply_conventions(con, target, spec, read, settings, summary, whole)
            csv_files = {
                source.rel
                for source in read
                if source.kind == "csv" and summary.file_rows[source.rel]
            }
            if csv_files:
                _note_line_breaks(con, whole, spec, csv_files, summary)
            marks_by_table[spec.name] = {rel: _marks(summary.file_conventions.get(rel)) for rel in appended}
            landed_files.write_record(con, record, [
                landed_files.LandedFile(
                    source.rel, spec.name, *fingerprints[source.rel],
                    details=landed_files.details_of(
                        summary, source.rel, delivered[source.rel],
                        before[source.rel].details.get("text") if source.rel in kept else files_read[source.rel].text,
                    ),
                    appended_to=_appended_to(source.rel, before, marks_by_table[spec.name]),
                )
                for source in plan[spec.name]
            ], key)
        con.execute("BEGIN TRANSACTION")
        try:
            for spec in TABLES:
                table = live[spec.name]
                if kept_by_table[spec.name]:
                    landed_files.merge_into(con, table, shadows[spec.name], kept_by_table[spec.name], before,
                                            marks_by_table[spec.name])
                    continue
                con.execute(f"DROP TABLE IF EXISTS {table}")
                con.execute(f"ALTER TABLE {shadows[spec.name]} RENAME TO {_ident(spec.name)}")
            con.execute(f"DROP TABLE IF EXISTS {_ident(schema)}.{_ident(landed_files.RECORD_TABLE)}")
            con.execute(f"ALTER TABLE {record} RENAME TO {_ident(landed_files.RECORD_TABLE)}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        for view in whole_views.values():
            try:
                con.execute(f"DROP VIEW IF EXISTS {view}")
            except duckdb.Error:
                pass
        for shadow in (*shadows.values(), record):
            try:
                con.execute(f"DROP TABLE IF EXISTS {shadow}")
            except duckdb.Error:
                pass
    summary.seconds = time.perf_counter() - started
    return summary


def export_parquet(
    con: duckdb.DuckDBPyConnection, out_dir: Path, schema: str = "cpc_raw"
) -> dict[str, Path]:
    """Write each landed table, and the landing's record of its files (``_landed_files``), to
    ``out_dir/<table>.parquet`` (the record to ``landed_files.parquet``: Spark skips a file whose
    name starts with ``_``); return {table: path}.

    Used by the Spark engine, which registers the files as tables. Row order is the landing
    order (files in path order, records in file order).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in (*(spec.name for spec in TABLES), landed_files.RECORD_TABLE):
        path = out_dir / f"{name.lstrip('_')}.parquet"
        target = f"{_ident(schema)}.{_ident(name)}"
        try:
            con.execute(
                f"COPY (SELECT * FROM {target}) TO {_literal(str(path.absolute()))} "
                "(FORMAT parquet)"
            )
        except duckdb.CatalogException as exc:
            raise UserError(
                f"{schema}.{name}: table not found; land the input folder first"
            ) from exc
        except duckdb.Error as exc:
            raise UserError(f"{path}: cannot write parquet: {_duckdb_reason(exc)}") from exc
        written[name] = path
    return written

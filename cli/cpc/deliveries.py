"""An input folder as it is delivered on a given day: each dated file holds its rows up to that day.

Providers re-deliver the month-to-date bill several times a day, and telemetry exports grow the
same way: the delivery of day D is the month's files with every row dated up to D, listed in date
order as an export that grows by appending lists them. The incremental tests and the benchmark
build such deliveries one after another.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

#: The column holding each dated row's day (its first 10 characters), per file or folder of a
#: generated input.
DATED_COLUMNS = {"billing": "ChargePeriodStart", "usage": "usage_date", "k8s_usage": "interval_start",
                 "support_tickets.csv": "opened_at"}

Rows = list[list[str]]


def rewrite_csv(path: Path, change: Callable[[list[str], Rows], Rows]) -> None:
    """Rewrite a csv or csv.gz file through ``change(header, rows) -> rows``."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(change(header, rows))
    with opener(path, "wt", newline="", encoding="utf-8") as handle:
        handle.write(out.getvalue())


def dated_files(folder: Path) -> list[tuple[Path, str]]:
    """Each dated csv file of an input folder, with the column holding its rows' day."""
    found = []
    for name, column in DATED_COLUMNS.items():
        target = folder / name
        paths = sorted(target.glob("*.csv*")) if target.is_dir() else [target]
        found += [(path, column) for path in paths if path.exists()]
    return found


def deliver_through(source: Path, out: Path, through: date) -> Path:
    """Copy the input folder ``source`` to ``out`` (replacing it) keeping, in each dated file,
    the rows dated up to ``through`` in date order; returns ``out``."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source, out)
    last = through.isoformat()
    for path, column in dated_files(out):

        def keep(header: list[str], rows: Rows, column: str = column) -> Rows:
            at = header.index(column)
            return sorted((row for row in rows if row[at][:10] <= last), key=lambda row: row[at])

        rewrite_csv(path, keep)
    return out

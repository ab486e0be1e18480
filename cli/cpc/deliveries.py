"""An input folder as it is delivered on a given day: each dated file holds its rows up to that day.

Providers re-deliver the month-to-date bill several times a day, and telemetry exports grow the
same way: the delivery of day D is the month's files with every row dated up to D, listed in date
order as an export that grows by appending lists them. The incremental tests and the benchmark
build such deliveries one after another.
"""

from __future__ import annotations

import csv
import gzip
import heapq
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import TextIO

#: The column holding each dated row's day (its first 10 characters), per file or folder of a
#: generated input.
DATED_COLUMNS = {"billing": "ChargePeriodStart", "usage": "usage_date", "k8s_usage": "interval_start",
                 "support_tickets.csv": "opened_at"}

Rows = list[list[str]]

#: Rows a delivery sorts in memory at a time. A longer file is sorted in runs of this many rows,
#: each kept in a temporary file beside it, then merged: a year of 100k customers' telemetry holds
#: tens of millions of rows, more than memory when held as Python lists.
RUN_ROWS = 200_000


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
    for path, column in dated_files(out):
        _keep_through(path, column, through.isoformat())
    return out


def _keep_through(path: Path, column: str, last: str) -> None:
    """Rewrite one dated file with its rows dated up to ``last`` (an ISO day), sorted by
    ``column``; rows of the same value keep their order in the file (a stable sort, in runs of
    :data:`RUN_ROWS` merged in file order, so memory stays bounded whatever the file's size)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with tempfile.TemporaryDirectory(prefix=f".{path.name}.", dir=path.parent) as scratch, ExitStack() as runs:
        readers: list[Iterator[list[str]]] = []
        with opener(path, "rt", newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            key = itemgetter(header.index(column))
            run: Rows = []
            for row in reader:
                if key(row)[:10] <= last:
                    run.append(row)
                    if len(run) == RUN_ROWS:
                        written = _sorted_run(run, key, Path(scratch) / f"{len(readers)}.csv")
                        readers.append(csv.reader(runs.enter_context(written)))
                        run = []
        run.sort(key=key)
        # The same file name, so that a gzip header names the file as before.
        rewritten = Path(scratch) / path.name
        with opener(rewritten, "wt", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            # heapq.merge takes equal rows from the earlier run first: the whole is a stable sort.
            writer.writerows(heapq.merge(*readers, run, key=key) if readers else run)
        os.replace(rewritten, path)


def _sorted_run(run: Rows, key: Callable[[list[str]], str], path: Path) -> TextIO:
    """Sort ``run`` and write it to ``path``; returns the file opened for reading it back."""
    run.sort(key=key)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(run)
    return path.open(newline="", encoding="utf-8")

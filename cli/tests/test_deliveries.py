"""A delivery of an input on a given day (cpc.deliveries, used by the incremental tests and the
benchmark): each dated file keeps its rows up to that day, in date order, rows of the same date in
their file order; a file longer than one sorting run comes out the same as a short one."""

from __future__ import annotations

import csv
import gzip
from datetime import date
from pathlib import Path

import pytest
from cpc import deliveries
from cpc.deliveries import deliver_through

HEADER = ["ChargePeriodStart", "ChargePeriodEnd", "EffectiveCost"]


def _billing_rows() -> list[list[str]]:
    """Rows out of date order, several on the same start, with costs numbering them in file order."""
    starts = ["2024-01-03T00:00:00Z", "2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z", "2024-01-02T05:00:00Z",
              "2024-01-04T00:00:00Z", "2024-01-01T00:00:00Z", "2024-01-02T05:00:00Z", "2024-01-03T00:00:00Z",
              "2024-01-01T00:00:00Z", "2024-01-02T01:00:00Z", "2024-01-04T00:00:00Z", "2024-01-03T00:00:00Z"]
    return [[start, start, str(number)] for number, start in enumerate(starts)]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])


def _read(path: Path) -> list[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    (folder / "billing").mkdir(parents=True)
    (folder / "usage").mkdir()
    _write(folder / "billing" / "focus-2024-01.csv.gz", HEADER, _billing_rows())
    # A value with a comma, a quote and a line break comes back as it was.
    usage = [["2024-01-02", "c1", 'api, "v2"\nbeta', "3"], ["2024-01-01", "c2", "", "1.5"],
             ["2024-01-03", "c1", "storage", "2"], ["2024-01-02", "c2", "storage", "4"]]
    _write(folder / "usage" / "usage-2024-01.csv", ["usage_date", "customer_id", "feature", "quantity"], usage)
    (folder / "customers.csv").write_text("customer_id,segment\nc1,smb\n")
    return folder


def test_a_delivery_keeps_each_dated_files_rows_through_its_day_in_stable_date_order(source: Path,
                                                                                      tmp_path: Path) -> None:
    out = deliver_through(source, tmp_path / "delivered", date(2024, 1, 3))
    header, *rows = _read(out / "billing" / "focus-2024-01.csv.gz")
    assert header == HEADER
    # Sorted by start; equal starts in file order (the costs number the source rows); the 4th gone.
    assert [row[2] for row in rows] == ["1", "5", "8", "9", "3", "6", "0", "2", "7", "11"]
    assert _read(out / "usage" / "usage-2024-01.csv") == [
        ["usage_date", "customer_id", "feature", "quantity"], ["2024-01-01", "c2", "", "1.5"],
        ["2024-01-02", "c1", 'api, "v2"\nbeta', "3"], ["2024-01-02", "c2", "storage", "4"],
        ["2024-01-03", "c1", "storage", "2"]]
    assert (out / "customers.csv").read_text() == "customer_id,segment\nc1,smb\n"
    # Nothing but the delivered files is left beside them (the sorting runs are removed).
    assert sorted(path.name for path in (out / "billing").iterdir()) == ["focus-2024-01.csv.gz"]


@pytest.mark.parametrize("run_rows", [1, 2, 3, 5])
def test_a_file_sorted_in_several_runs_is_delivered_as_when_sorted_at_once(
        source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_rows: int) -> None:
    at_once = deliver_through(source, tmp_path / "at-once", date(2024, 1, 3))
    monkeypatch.setattr(deliveries, "RUN_ROWS", run_rows)
    in_runs = deliver_through(source, tmp_path / "in-runs", date(2024, 1, 3))
    for path in (Path("billing") / "focus-2024-01.csv.gz", Path("usage") / "usage-2024-01.csv"):
        assert _read(in_runs / path) == _read(at_once / path), path
    assert sorted(path.name for path in (in_runs / "billing").iterdir()) == ["focus-2024-01.csv.gz"]

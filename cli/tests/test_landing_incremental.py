"""Landing again into the same warehouse: a file that has not changed since the last landing (same
path, size and content) keeps its rows instead of being read again, and the landed tables are
exactly what a landing from scratch would make of the same folder."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from cpc import landing
from cpc.errors import UserError
from cpc.landing import TABLES, LandingSummary, land

BILLING = (
    "ChargePeriodStart,ChargePeriodEnd,EffectiveCost,BilledCost,ServiceName,SubAccountId\n"
    "2024-01-01,2024-01-02,10.5,10.5,Compute,acct\n"
    "2024-01-02,2024-01-03,7.25,7.25,Storage,acct\n"
)
MORE_BILLING = "2024-01-03,2024-01-04,3.10,3.10,Compute,acct\n"
# A semicolon file writing amounts with a decimal comma: the landing decides its convention.
USAGE = "usage_date;customer_id;metric;quantity\n2024-01-01;c1;cpu;12,5\n2024-01-02;c2;cpu;3,25\n"
CUSTOMERS = "customer_id,customer_name,segment\nc1,Acme,smb\nc2,Globex,enterprise\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode(), mtime=1_600_000_000))
    else:
        path.write_text(text)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "input"
    _write(root / "billing" / "2024-01.csv", BILLING)
    _write(root / "billing" / "2023-12.csv", BILLING.replace("2024-01-0", "2023-12-0"))
    _write(root / "usage" / "2024-01.csv.gz", USAGE)
    _write(root / "customers.csv", CUSTOMERS)
    return root


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        yield connection


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every landed table's rows, sorted."""
    return {spec.name: sorted(con.execute(f"SELECT * FROM cpc_raw.{spec.name}").fetchall(), key=repr)
            for spec in TABLES}


def _from_scratch(folder: Path) -> tuple[dict[str, list[tuple]], LandingSummary]:
    with duckdb.connect() as fresh:
        summary = land(folder, fresh)
        return _tables(fresh), summary


def _described(summary: LandingSummary) -> list[str]:
    """describe() without its timing line and the line on kept files."""
    return [line for line in summary.describe()[1:] if not line.startswith("  kept ")]


@pytest.fixture
def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any file is read (landed by a reader)."""
    def refuse(_con, source, *_args):
        raise AssertionError(f"{source.rel} was read again")
    monkeypatch.setattr(landing, "_LANDERS", {kind: refuse for kind in landing._LANDERS})


def test_the_same_folder_again_reads_no_file(folder: Path, con, request: pytest.FixtureRequest) -> None:
    first = land(folder, con)
    assert first.files_kept == []
    landed = _tables(con)
    request.getfixturevalue("no_reading")
    again = land(folder, con)
    assert sorted(again.files_kept) == sorted(again.files_landed) == sorted(first.files_landed)
    assert _tables(con) == landed
    # The summary says the same of each file, the decided decimal comma included.
    assert _described(again) == _described(first)
    assert any("usage/2024-01.csv.gz" in line and "comma" in line for line in _described(again))
    assert f"  kept {len(first.files_landed)} unchanged file(s) from the last landing" in "\n".join(again.describe())
    assert again.table_rows == first.table_rows


def test_a_changed_added_or_removed_file_lands_as_from_scratch(folder: Path, con) -> None:
    land(folder, con)
    # The month re-delivered with one more day, a new file, a file no longer delivered.
    _write(folder / "billing" / "2024-01.csv", BILLING + MORE_BILLING)
    _write(folder / "billing" / "2024-02.csv", BILLING.replace("2024-01-0", "2024-02-0"))
    (folder / "billing" / "2023-12.csv").unlink()
    again = land(folder, con)
    assert sorted(again.files_kept) == ["customers.csv", "usage/2024-01.csv.gz"]
    expected, scratch = _from_scratch(folder)
    assert _tables(con) == expected
    assert again.table_rows == scratch.table_rows and again.table_rows["billing"] == 5
    assert _described(again) == _described(scratch)


def test_a_landing_that_fails_while_updating_in_place_leaves_the_last_one(
        folder: Path, con, monkeypatch: pytest.MonkeyPatch) -> None:
    land(folder, con)
    landed = _tables(con)
    _write(folder / "billing" / "2024-01.csv", BILLING + MORE_BILLING)
    (folder / "billing" / "2023-12.csv").unlink()
    merge_into = landing.landed_files.merge_into

    def merge_then_fail(*args, **kwargs):
        merge_into(*args, **kwargs)  # the old rows are deleted and the new ones inserted...
        raise duckdb.IOException("disk full")  # ...then the swap fails before it commits

    monkeypatch.setattr(landing.landed_files, "merge_into", merge_then_fail)
    with pytest.raises(duckdb.IOException, match="disk full"):
        land(folder, con)
    assert _tables(con) == landed
    monkeypatch.setattr(landing.landed_files, "merge_into", merge_into)
    again = land(folder, con)
    assert "billing/2024-01.csv" not in again.files_kept and "customers.csv" in again.files_kept
    assert _tables(con) == _from_scratch(folder)[0]


def test_a_file_of_the_same_size_with_other_content_is_read(folder: Path, con) -> None:
    land(folder, con)
    changed = BILLING.replace("10.5", "10.6")
    assert len(changed) == len(BILLING)
    _write(folder / "billing" / "2024-01.csv", changed)
    again = land(folder, con)
    assert "billing/2024-01.csv" not in again.files_kept
    assert _tables(con) == _from_scratch(folder)[0]


def test_a_touched_file_keeps_its_rows_with_the_new_delivery_time(folder: Path, con) -> None:
    land(folder, con)
    path = folder / "billing" / "2024-01.csv"
    later = path.stat().st_mtime + 86_400
    os.utime(path, (later, later))
    again = land(folder, con)
    assert "billing/2024-01.csv" in again.files_kept
    assert _tables(con) == _from_scratch(folder)[0]
    assert con.execute("SELECT DISTINCT _delivered_at FROM cpc_raw.billing WHERE _source_file = 'billing/2024-01.csv'"
                       ).fetchall() == [(landing.landed_files.delivered_at(path),)]


def test_a_gzip_file_compressed_again_later_is_kept(folder: Path, con) -> None:
    land(folder, con)
    path = folder / "usage" / "2024-01.csv.gz"
    before = path.read_bytes()
    path.write_bytes(gzip.compress(USAGE.encode(), mtime=1_700_000_000))
    assert path.read_bytes() != before
    again = land(folder, con)
    assert "usage/2024-01.csv.gz" in again.files_kept
    # ...while other data under the same name is read.
    path.write_bytes(gzip.compress(USAGE.replace("12,5", "12,6").encode(), mtime=1_700_000_000))
    assert "usage/2024-01.csv.gz" not in land(folder, con).files_kept
    assert _tables(con) == _from_scratch(folder)[0]


def test_a_new_input_yml_reads_every_file(folder: Path, con) -> None:
    land(folder, con)
    (folder / "input.yml").write_text("decimal_mark: comma\n")
    again = land(folder, con)
    assert again.files_kept == []
    assert _tables(con) == _from_scratch(folder)[0]


def test_a_failed_landing_keeps_the_record_of_the_last_good_one(folder: Path, con) -> None:
    land(folder, con)
    _write(folder / "billing" / "broken.csv", "ChargePeriodStart,EffectiveCost\n1,2,3\n")
    with pytest.raises(UserError, match="billing/broken.csv"):
        land(folder, con)
    (folder / "billing" / "broken.csv").unlink()
    again = land(folder, con)
    assert sorted(again.files_kept) == sorted(again.files_landed)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    """Each CSV read as (file, rows it held before the records read, rows read)."""
    seen: list[tuple[str, int, int]] = []
    land_csv = landing._land_csv

    def spy(con, source, spec, target, summary, appended=None, rows_before=0):
        rows = land_csv(con, source, spec, target, summary, appended, rows_before)
        seen.append((source.rel, rows_before, rows))
        return rows

    monkeypatch.setitem(landing._LANDERS, "csv", spy)
    monkeypatch.setattr(landing, "_land_csv", spy)
    return seen


def test_a_file_redelivered_with_records_appended_reads_only_those(folder: Path, con, reads) -> None:
    # The usage file's first delivery cannot tell its decimal mark ('1,000' reads two ways); the
    # record appended to it says a comma: the earlier rows are read again by the new decision.
    _write(folder / "usage" / "2024-01.csv.gz", "usage_date;customer_id;metric;quantity\n2024-01-01;c1;cpu;1,000\n")
    first = land(folder, con)
    reads.clear()
    _write(folder / "billing" / "2024-01.csv", BILLING + MORE_BILLING)
    _write(folder / "usage" / "2024-01.csv.gz",
           "usage_date;customer_id;metric;quantity\n2024-01-01;c1;cpu;1,000\n2024-01-02;c2;cpu;3,25\n")
    later = (folder / "billing" / "2024-01.csv").stat().st_mtime + 86_400  # delivered a day later
    os.utime(folder / "billing" / "2024-01.csv", (later, later))
    again = land(folder, con)
    assert sorted(reads) == [("billing/2024-01.csv", 2, 1), ("usage/2024-01.csv.gz", 1, 1)]
    assert again.files_appended == {"billing/2024-01.csv": 2, "usage/2024-01.csv.gz": 1}
    assert ("  kept the earlier records of 2 file(s) re-delivered with records appended, and read only "
            "the 2 new ones") in again.describe()
    expected, scratch = _from_scratch(folder)
    assert _tables(con) == expected
    assert again.table_rows == scratch.table_rows and again.table_rows["billing"] == 5
    assert _described(again) == _described(scratch) != _described(first)
    # The next delivery appends to the text this landing read.
    reads.clear()
    _write(folder / "billing" / "2024-01.csv", BILLING + MORE_BILLING + MORE_BILLING.replace("01-0", "01-1"))
    assert land(folder, con).files_appended == {"billing/2024-01.csv": 3}
    assert reads == [("billing/2024-01.csv", 3, 1)]
    assert _tables(con) == _from_scratch(folder)[0]


def test_a_file_whose_earlier_records_changed_is_read_whole(folder: Path, con, reads) -> None:
    _write(folder / "usage" / "2024-01.csv.gz", USAGE.rstrip("\n"))  # its last line has no line end
    land(folder, con)
    reads.clear()
    _write(folder / "billing" / "2024-01.csv", BILLING.replace("10.5", "10.6") + MORE_BILLING)
    _write(folder / "usage" / "2024-01.csv.gz", USAGE + "2024-01-03;c1;cpu;1,5\n")
    again = land(folder, con)
    assert again.files_appended == {}
    assert sorted(reads) == [("billing/2024-01.csv", 0, 3), ("usage/2024-01.csv.gz", 0, 3)]
    assert _tables(con) == _from_scratch(folder)[0]


def test_a_malformed_appended_record_is_named_by_its_line_in_the_file(folder: Path, con) -> None:
    land(folder, con)
    _write(folder / "billing" / "2024-01.csv", BILLING + '2024-01-03,2024-01-04,"3.10,3.10,Compute,acct\n')
    with pytest.raises(UserError, match=r"^billing/2024-01.csv: line 4: unbalanced quote"):
        land(folder, con)


@pytest.mark.parametrize(("line_end", "goes_on"), [("\n", True), ("\r\n", True), ("\r", False)])
def test_a_header_ended_by_a_carriage_return_alone_is_read_whole(tmp_path: Path, line_end: str, goes_on: bool) -> None:
    # The header probe ends a line at a carriage return alone; the text scan finds header lines by
    # their line feeds, so such a header would not be where the probe put it.
    earlier = f"ChargePeriodStart,EffectiveCost{line_end}2024-01-01,1\n".encode()
    path = tmp_path / "billing.csv"
    path.write_bytes(earlier)
    recorded = landing.landed_files.scan_text(path, False, None, 1, tmp_path / "tail.csv")
    assert recorded is not None and not recorded.appended
    path.write_bytes(earlier + b"2024-01-02,2\n")
    scan = landing.landed_files.scan_text(path, False, recorded.text, 1, tmp_path / "tail.csv")
    assert scan is not None and scan.appended is goes_on
    if goes_on:
        assert (tmp_path / "tail.csv").read_bytes() == f"ChargePeriodStart,EffectiveCost{line_end}2024-01-02,2\n".encode()

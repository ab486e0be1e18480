"""A DuckDB build works on a copy and publishes it in one rename (cpc.publish): the published file
is never written part-way, whatever goes wrong. The builds themselves, with readers, are in
test_cli_errors.py; these cover the file steps and the errors a full disk gives."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import duckdb
import pytest
from cpc import publish
from cpc import warehouse as store
from cpc.errors import UserError


def _warehouse(path: Path, value: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.answer as select {value} as value")
    return path


def _value(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select value from marts.answer").fetchone()[0]


def test_a_build_works_on_a_copy_under_the_same_name_and_publishes_it(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "cpc.duckdb", 1)
    with duckdb.connect(str(warehouse), read_only=True) as reader:
        with publish.working_copy(warehouse) as working:
            # Same file name: DuckDB names the database after it, and views refer to that name.
            assert working.name == warehouse.name and working.parent != warehouse.parent
            with duckdb.connect(str(working)) as con:
                con.execute("update marts.answer set value = 2")
            assert _value(warehouse) == 1
            publish.publish(working, warehouse)
        # The reader connected before the swap still reads what it opened.
        assert reader.execute("select value from marts.answer").fetchone()[0] == 1
    assert _value(warehouse) == 2
    assert not publish.working_folder(warehouse).exists()


def test_a_failed_build_leaves_the_published_file_and_no_working_copy(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "cpc.duckdb", 1)
    with pytest.raises(UserError), publish.working_copy(warehouse) as working:
        with duckdb.connect(str(working)) as con:
            con.execute("update marts.answer set value = 2")
        raise UserError("a data test failed")
    assert _value(warehouse) == 1
    assert not publish.working_folder(warehouse).exists()


def test_what_a_killed_build_left_is_cleared_by_the_next(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "cpc.duckdb", 1)
    left = publish.working_file(warehouse)
    left.parent.mkdir()
    left.write_text("half a build")
    with publish.working_copy(warehouse) as working:
        assert _value(working) == 1


def test_a_full_disk_while_copying_ends_in_one_line_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = _warehouse(tmp_path / "cpc.duckdb", 1)
    before = warehouse.read_bytes()

    def full(source: Path, target: Path) -> None:
        Path(target).write_bytes(Path(source).read_bytes()[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(UserError) as raised, publish.working_copy(warehouse):
        pytest.fail("the build must not start without its copy")
    assert str(raised.value) == (
        f"{warehouse}: no space left on the device while building beside it "
        f"({publish.working_folder(warehouse)}); free some space and run cpc build again — "
        "the published warehouse is unchanged"
    )
    assert warehouse.read_bytes() == before
    assert not publish.working_folder(warehouse).exists()


def test_a_full_disk_while_duckdb_writes_is_one_line(tmp_path: Path) -> None:
    warehouse = tmp_path / "cpc.duckdb"
    error = duckdb.IOException(
        f'IO Error: Could not write file "{warehouse}": No space left on device'
    )
    assert str(store.duckdb_error(warehouse, error, writing=True)) == (
        f"{warehouse}: no space left on the device while writing; free some space and try again"
    )



def _connect_failing_once(monkeypatch: pytest.MonkeyPatch, before_failing) -> list[bool]:
    """Make the next read-only ``duckdb.connect`` run ``before_failing`` and fail as DuckDB does
    when a publish renames the file between its opens; returns the list of read-only attempts."""
    attempts: list[bool] = []
    connect = duckdb.connect

    def connecting(database: str, *args, **kwargs):
        if kwargs.get("read_only"):
            attempts.append(True)
            if len(attempts) == 1:
                before_failing()
                raise duckdb.IOException("IO Error: Metadata block index 73 exceeds metadata block count 64")
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", connecting)
    return attempts


def test_a_reader_meeting_a_publish_while_connecting_reads_the_new_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = _warehouse(tmp_path / "cpc.duckdb", 1)
    new = _warehouse(tmp_path / "new.duckdb", 2)
    attempts = _connect_failing_once(monkeypatch, lambda: publish.publish(new, warehouse))
    with store.open_duckdb_reader(warehouse) as con:
        assert con.execute("select value from marts.answer").fetchone()[0] == 2
    assert len(attempts) == 2


def test_a_file_that_fails_to_open_without_a_publish_is_one_line_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = _warehouse(tmp_path / "cpc.duckdb", 1)
    attempts = _connect_failing_once(monkeypatch, lambda: None)
    failing = r"cannot open the DuckDB file \(IO Error: Metadata block index 73"
    with pytest.raises(UserError, match=failing), store.open_duckdb_reader(warehouse):
        pass
    assert len(attempts) == 1

"""Builds are safe against each other, and every CLI or warehouse error is one line.

- One build per warehouse at a time: a second `cpc build` (or `cpc land`) of a warehouse being
  built fails at once with one line, or with --wait waits for the first; no build reports
  success over another's data.
- Readers are never blocked and never see a half-built warehouse: while a build runs, a report
  reads the last published marts; a reader connected before a build keeps reading them until it
  reconnects, one querying in a loop sees one whole build or the next; a failed build leaves the
  last good marts published and reports say so in a note. Before the first build is published a
  report says the warehouse is being built.
- Every build is recorded in the warehouse; a report reads one without a record as before.
- Ctrl-C during a build: exit code 130 and one line; nothing is published.
- A mistyped command or option: click's usage message, exit code 2. A warehouse that cannot be
  opened (a folder, a text file, a missing file, a read-only folder, a file another process has
  locked): one `error: <path>: ...` line, exit code 2, for build, land, report and explain.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import Completed, one_line_error, query, run_cpc
from cpc import PROJECT_DIR

#: A build of a tiny input takes 20-40 s; a process failing at once takes a few seconds (Python
#: and the CLI start). Generous, so that a loaded machine does not fail the test.
FAILS_FAST = 30.0


@dataclass
class Inputs:
    a: Path
    b: Path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    """Two small generated inputs with different customers (20 and 24, other names)."""
    root = tmp_path_factory.mktemp("two-inputs")
    for name, customers, seed in (("a", 20, 31), ("b", 24, 32)):
        done = run_cpc("generate", "--customers", str(customers), "--days", "5", "--seed",
                       str(seed), "--out", str(root / name))
        assert done.returncode == 0, done.stderr
    return Inputs(root / "a", root / "b")


def customers_of(input_dir: Path) -> set[tuple[str, str]]:
    with (input_dir / "customers.csv").open(newline="") as handle:
        return {(row["customer_id"], row["customer_name"]) for row in csv.DictReader(handle)}


def customers_in(warehouse: Path) -> set[tuple[str, str]]:
    return set(query(warehouse, "select customer_id, customer_name from marts.customers"))


def builds_in(warehouse: Path) -> list[tuple]:
    return query(warehouse, "select input_dir, status, started_at, finished_at, message"
                            " from cpc_meta.builds order by started_at")


# --- usage errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["dashbord"], "No such command 'dashbord'"),
        (["reprot", "--warehouse", "w.duckdb"], "Did you mean 'report'?"),
        (["build", "--inptu", "x"], "No such option: --inptu"),
        (["explain", "--customer", "x"], "Missing option '--month'"),
    ],
)
def test_a_mistyped_command_or_option_shows_the_usage_message(
    args: list[str], expected: str
) -> None:
    done = run_cpc(*args)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert "Usage:" in done.stderr and "Traceback" not in done.stderr + done.stdout
    if "--inptu" in args:
        assert "--input" in done.stderr  # click's hint


# --- warehouses that cannot be opened -------------------------------------------------------


def _commands(inputs: Inputs, warehouse: Path) -> dict[str, list[str]]:
    where = ["--warehouse", str(warehouse)]
    return {
        "build": ["build", "--input", str(inputs.a), "--no-unit-tests", *where],
        "land": ["land", "--input", str(inputs.a), *where],
        "report": ["report", *where],
        "explain": ["explain", "--customer", "cust-00001", "--month", "2024-01", *where],
        "validate": ["validate", *where],
        "dashboard": ["dashboard", "--out", str(warehouse.with_name("site")), *where],
    }


@pytest.mark.parametrize("command", ["build", "land", "report", "explain", "validate", "dashboard"])
def test_a_folder_given_as_the_duckdb_file(inputs: Inputs, tmp_path: Path, command: str) -> None:
    folder = tmp_path / "warehouse.duckdb"
    folder.mkdir()
    line = one_line_error(run_cpc(*_commands(inputs, folder)[command]), folder)
    assert "is a folder, not a DuckDB file" in line
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("command", ["build", "land", "report", "explain", "validate", "dashboard"])
def test_a_text_file_given_as_the_duckdb_file(inputs: Inputs, tmp_path: Path, command: str) -> None:
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database\n")
    line = one_line_error(run_cpc(*_commands(inputs, text)[command]), text)
    assert "not a DuckDB database" in line
    assert text.read_text() == "not a database\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.duckdb"]  # no lock left


@pytest.mark.parametrize(("value", "target"), [
    ("2024-13-01", "duckdb"),
    ("yesterday", "duckdb"),
    ("2024-02-30", "spark"),
])
def test_a_reprocess_from_that_cannot_be_used(inputs: Inputs, tmp_path: Path, value: str, target: str) -> None:
    expected = f"--reprocess-from '{value}': not a day; write it as YYYY-MM-DD"
    warehouse = tmp_path / "w.duckdb"
    done = run_cpc("build", "--input", str(inputs.a), "--warehouse", str(warehouse), "--target", target,
                   "--reprocess-from", value)
    assert one_line_error(done) == f"error: {expected}"
    assert not warehouse.exists()


@pytest.mark.parametrize("command", ["report", "explain", "validate", "dashboard"])
def test_a_missing_warehouse(inputs: Inputs, tmp_path: Path, command: str) -> None:
    missing = tmp_path / "nowhere.duckdb"
    line = one_line_error(run_cpc(*_commands(inputs, missing)[command]), missing)
    assert "no DuckDB warehouse here; run cpc build first" in line
    assert not missing.exists()


@pytest.mark.parametrize("command", ["build", "land"])
def test_a_warehouse_under_a_file(inputs: Inputs, tmp_path: Path, command: str) -> None:
    (tmp_path / "file.txt").write_text("x")
    warehouse = tmp_path / "file.txt" / "w.duckdb"
    line = one_line_error(run_cpc(*_commands(inputs, warehouse)[command]), warehouse)
    assert f"{tmp_path / 'file.txt'} is a file, not a folder" in line


def _without_root_powers() -> list[str] | None:
    """A command prefix under which folder permissions apply: none for a normal user; for root,
    setpriv without the capabilities that bypass them (None where that is not possible)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def _run_cpc_with(prefix: list[str], *args: str) -> Completed:
    """conftest's run_cpc, under a command prefix."""
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", COLUMNS="160")
    done = subprocess.run([*prefix, sys.executable, "-m", "cpc.app", *args], capture_output=True,
                          text=True, timeout=300, env=env, cwd=PROJECT_DIR, check=False)
    return Completed(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """A read-only folder, and the command prefix under which it is read-only."""
    prefix = _without_root_powers()
    if prefix is None:
        pytest.skip("running as root without setpriv: folder permissions do not apply")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    probe = subprocess.run([*prefix, sys.executable, "-c", f"open({str(folder / 'x')!r}, 'w')"],
                           capture_output=True, check=False)
    if probe.returncode == 0:
        folder.chmod(0o755)
        pytest.skip("cannot make a folder read-only here")
    yield folder, prefix
    folder.chmod(0o755)


@pytest.mark.parametrize("command", ["build", "land", "report", "explain"])
def test_a_warehouse_in_a_read_only_folder(
    inputs: Inputs, read_only_folder: tuple[Path, list[str]], command: str
) -> None:
    folder, prefix = read_only_folder
    warehouse = folder / "w.duckdb"
    line = one_line_error(_run_cpc_with(prefix, *_commands(inputs, warehouse)[command]), warehouse)
    if command in ("build", "land"):
        assert "choose a warehouse path in a folder you can write to" in line
    else:  # reading needs no write access: the file is just not there
        assert "no DuckDB warehouse here" in line
    assert list(folder.iterdir()) == []


def test_a_warehouse_locked_by_another_program(inputs: Inputs, tmp_path: Path) -> None:
    """A notebook holds a read-write connection: every command says so in one line."""
    warehouse = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(warehouse)!r})\n"
            "con.execute('create table notebook (x int)')\n"
            "print('holding', flush=True)\n"
            "sys.stdin.read()\n"
        )],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        for command, args in _commands(inputs, warehouse).items():
            line = one_line_error(run_cpc(*args), warehouse)
            assert f"the file is locked by another process (pid {holder.pid}" in line, command
            assert "close that program's connection to it" in line, command
    finally:
        holder.communicate(input="", timeout=60)
    assert not warehouse.with_name("held.duckdb.lock").exists()


# --- one build at a time ----------------------------------------------------------------------


def _start(*args: str, output: Path) -> subprocess.Popen[bytes]:
    """Start `cpc` in the background, stdout and stderr to output.out / output.err."""
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", COLUMNS="160")
    return subprocess.Popen(
        [sys.executable, "-m", "cpc.app", *args], cwd=PROJECT_DIR, env=env,
        stdout=output.with_suffix(".out").open("w"), stderr=output.with_suffix(".err").open("w"),
    )


def _finish(process: subprocess.Popen[bytes], output: Path, timeout: float = 600) -> Completed:
    process.wait(timeout=timeout)
    return Completed(process.returncode, output.with_suffix(".out").read_text(),
                     output.with_suffix(".err").read_text())


def _wait_until_locked_by(warehouse: Path, process: subprocess.Popen[bytes]) -> None:
    """Wait until ``process`` holds the warehouse's lock (it has started building)."""
    lock = warehouse.with_name(warehouse.name + ".lock")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the first build ended before it took the lock"
        try:
            if json.loads(lock.read_text()).get("pid") == process.pid:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError("the first build never took the warehouse's lock")


#: A reader holding one read-only connection across builds: it prints what it reads when it
#: connects and again when its stdin closes.
_HOLDING_READER = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
def state():
    builds = con.execute("select count(*) from cpc_meta.builds").fetchone()[0]
    customers = con.execute("select count(*) from marts.customers").fetchone()[0]
    return f"{builds} {customers}"
print(state(), flush=True)
sys.stdin.read()
print(state(), flush=True)
"""

#: A reader connecting, reading and disconnecting in a loop until the file argv[2] appears, a tenth
#: of a second apart (back to back, its rounds took half a core from the builds it watches); prints
#: each distinct (builds recorded, customers, cost) state it saw and every error. A connection
#: that fails while a build replaces the file (its device, inode or change time differ after the
#: attempt) is printed as "raced": DuckDB opens the file by its path three times while connecting
#: (see cpc.warehouse.PUBLISH_RACE_ATTEMPTS); the reader then connects again.
_LOOPING_READER = """
import duckdb, os, sys, time
seen, errors, raced = {}, [], []
def identity():
    status = os.stat(sys.argv[1])
    return status.st_dev, status.st_ino, status.st_ctime_ns
def read():
    before = identity()
    try:
        con = duckdb.connect(sys.argv[1], read_only=True)
    except duckdb.IOException as exc:
        if identity() != before:
            raced.append(" ".join(str(exc).split())[:200])
            return None
        raise
    with con:
        builds = con.execute("select count(*) from cpc_meta.builds").fetchone()[0]
        customers = con.execute("select count(*) from marts.customers").fetchone()[0]
        cost = con.execute("select sum(total_cost) from marts.customer_costs_monthly").fetchone()[0]
        return f"{builds} {customers} {cost}"
while not os.path.exists(sys.argv[2]):
    try:
        state = read()
        if state is not None:
            seen[state] = seen.get(state, 0) + 1
    except Exception as exc:
        errors.append(" ".join(str(exc).split())[:200])
    time.sleep(0.1)
seen[read()] = 1
for state in seen:
    print("state", state)
for error in raced:
    print("raced", error)
for error in errors:
    print("error", error)
"""


def _reader(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_a_second_build_fails_at_once_or_waits(inputs: Inputs, tmp_path: Path) -> None:
    warehouse = tmp_path / "shared.duckdb"
    build = ["build", "--no-unit-tests", "--quiet", "--warehouse", str(warehouse)]

    # Without --wait: the second build (and a land) fails at once; the first build's marts hold
    # its own input. Nothing is published yet: a report says the warehouse is being built.
    first = _start(*build, "--input", str(inputs.a), output=tmp_path / "first")
    _wait_until_locked_by(warehouse, first)
    started = time.monotonic()
    second = run_cpc(*build, "--input", str(inputs.b))
    assert time.monotonic() - started < FAILS_FAST
    line = one_line_error(second)
    assert re.fullmatch(
        rf"error: {re.escape(str(warehouse))} is being built by another cpc process "
        rf"\(pid {first.pid}, started at \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC\); "
        r"wait for it or use --wait", line), line
    assert first.poll() is None, "the second build must have started while the first ran"
    landed = run_cpc("land", "--input", str(inputs.b), "--warehouse", str(warehouse))
    assert f"being built by another cpc process (pid {first.pid}" in one_line_error(landed)
    reported = run_cpc("report", "--warehouse", str(warehouse))
    assert f"being built by another cpc process (pid {first.pid}" in one_line_error(reported)
    done = _finish(first, tmp_path / "first")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Built" in done.stdout
    assert customers_in(warehouse) == customers_of(inputs.a) != customers_of(inputs.b)
    assert [(row[0], row[1]) for row in builds_in(warehouse)] == [(str(inputs.a), "success")]
    assert not warehouse.with_name("shared.duckdb.lock").exists()

    # With --wait: the second build says it waits, builds once the first is done, and the
    # warehouse then holds its input. Meanwhile readers read the published marts: a report, a
    # reader holding one connection throughout, and one reconnecting in a loop.
    holding = _reader(_HOLDING_READER, str(warehouse))
    assert holding.stdout is not None and holding.stdout.readline().split() == ["1", "20"]
    stop_looping = tmp_path / "stop-looping"
    looping = _reader(_LOOPING_READER, str(warehouse), str(stop_looping))
    first = _start(*build, "--input", str(inputs.a), output=tmp_path / "again")
    _wait_until_locked_by(warehouse, first)
    second_process = _start(*build, "--input", str(inputs.b), "--wait", output=tmp_path / "waits")
    while_building = run_cpc("report", "--warehouse", str(warehouse))
    assert while_building.returncode == 0, while_building.stdout + while_building.stderr
    assert "20 customers" in while_building.stdout
    done = _finish(first, tmp_path / "again")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    waited = _finish(second_process, tmp_path / "waits")
    assert waited.returncode == 0, waited.stdout[-3000:] + waited.stderr[-3000:]
    assert waited.stderr.strip() == ""
    assert waited.stdout.splitlines()[0] == (
        f"waiting for the build of {warehouse} by pid {first.pid} ..."
    )
    assert "Built" in waited.stdout
    assert customers_in(warehouse) == customers_of(inputs.b)
    builds = builds_in(warehouse)
    assert [(row[0], row[1]) for row in builds] == [
        (str(inputs.a), "success"), (str(inputs.a), "success"), (str(inputs.b), "success")
    ]
    assert builds[1][3] <= builds[2][2], "the waiting build started after the first finished"
    assert run_cpc("report", "--warehouse", str(warehouse)).returncode == 0
    stop_looping.touch()
    looped, _ = looping.communicate(timeout=120)
    held, _ = holding.communicate(input="", timeout=120)
    # The held connection still reads the build published when it connected.
    assert held.split() == ["1", "20"], held
    states = [line.split()[1:3] for line in looped.splitlines() if line.startswith("state ")]
    assert [line for line in looped.splitlines() if line.startswith("error ")] == [], looped
    # At most one connection per publish can meet the rename (two publishes here).
    assert len([line for line in looped.splitlines() if line.startswith("raced ")]) <= 2, looped
    # Every read saw one whole published build: the first, the rebuild of input a, or input b.
    assert states[0] == ["1", "20"] and states[-1] == ["3", "24"], looped
    assert all(state in (["1", "20"], ["2", "20"], ["3", "24"]) for state in states), looped

    # A warehouse without the record of builds (built by running dbt directly) reads as before.
    plain = tmp_path / "plain.duckdb"
    shutil.copy(warehouse, plain)
    with duckdb.connect(str(plain)) as con:
        con.execute("drop schema cpc_meta cascade")
    assert run_cpc("report", "--warehouse", str(plain)).returncode == 0

    # A failed build (here: a malformed customers.csv, found while landing) is noted as failed
    # and not published: reports read the last good marts, with a note naming the failure.
    broken = tmp_path / "broken"
    shutil.copytree(inputs.b, broken)
    (broken / "customers.csv").write_text("id,name\ncust-1,Someone\n")
    failed = run_cpc(*build, "--input", str(broken))
    failure = one_line_error(failed)
    assert builds_in(warehouse)[-1][1] == "failed"
    assert customers_in(warehouse) == customers_of(inputs.b)
    assert not (tmp_path / ".shared.duckdb.build").exists()
    reported = run_cpc("report", "--warehouse", str(warehouse))
    assert reported.returncode == 0, reported.stdout + reported.stderr
    assert re.fullmatch(
        r"note: the last build \(started [^)]+ UTC\) failed "
        rf"\({re.escape(failure.removeprefix('error: '))}\); these are the marts of the build "
        r"started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", reported.stdout.splitlines()[0]
    ), reported.stdout.splitlines()[0]
    assert "24 customers" in reported.stdout

    # `cpc land` hands the warehouse over to running dbt by hand: reports read it again.
    assert run_cpc("land", "--input", str(inputs.b), "--warehouse", str(warehouse)).returncode == 0
    assert builds_in(warehouse)[-1][1] == "landed"
    assert run_cpc("report", "--warehouse", str(warehouse)).returncode == 0


# --- Ctrl-C -----------------------------------------------------------------------------------


def _sigint_handling(pid: int) -> str:
    """How a running process takes SIGINT, from the signal masks Linux lists in
    /proc/PID/status: 'caught' (a handler), 'ignored', 'blocked' or 'default'; 'gone' when it
    has ended or the system has no /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "gone"
    masks = {name: int(value, 16) for name, value in
             (line.split(":", 1) for line in status.splitlines() if line.startswith(("SigBlk", "SigIgn", "SigCgt")))}
    bit = 1 << (signal.SIGINT - 1)
    for name, handling in (("SigBlk", "blocked"), ("SigIgn", "ignored"), ("SigCgt", "caught")):
        if masks.get(name, 0) & bit:
            return handling
    return "default"


@pytest.mark.slow
def test_ctrl_c_stops_a_build_with_one_line_and_publishes_nothing(
    inputs: Inputs, tmp_path: Path
) -> None:
    warehouse = tmp_path / "stopped.duckdb"
    # As from a terminal: the build starts with Ctrl-C not ignored, whatever this process does
    # with it (a process inherits an ignored SIGINT, and Python then installs no handler).
    ours = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        build = _start("build", "--input", str(inputs.a), "--warehouse", str(warehouse),
                       "--no-unit-tests", output=tmp_path / "build")
    finally:
        signal.signal(signal.SIGINT, ours)
    log = tmp_path / "stopped.dbt" / "logs" / "dbt.log"
    deadline = time.monotonic() + 120
    # Ctrl-C once dbt is running the models (not while the process is still starting up).
    while not (log.is_file() and " START sql " in log.read_text(errors="replace")):
        assert build.poll() is None, (tmp_path / "build.out").read_text()
        assert time.monotonic() < deadline, "dbt never started a model"
        time.sleep(0.1)
    time.sleep(0.5)
    handling = _sigint_handling(build.pid)
    assert handling in ("caught", "gone"), f"the build {handling} SIGINT"
    build.send_signal(signal.SIGINT)
    done = _finish(build, tmp_path / "build", timeout=120)
    assert done.returncode == 130, f"SIGINT {handling} when sent\n" + done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stderr.splitlines() == [
        f"interrupted: the build of {warehouse} was stopped; run cpc build again"
    ]
    assert "Traceback" not in done.stdout + done.stderr
    assert "KeyboardInterrupt" not in done.stdout + done.stderr
    # The build was the warehouse's first: nothing is published, and its working copy is gone.
    assert not warehouse.exists()
    assert not (tmp_path / ".stopped.duckdb.build").exists()
    assert not warehouse.with_name("stopped.duckdb.lock").exists()
    for args in (["report"], ["explain", "--customer", "cust-00001", "--month", "2024-01"]):
        refused = one_line_error(run_cpc(*args, "--warehouse", str(warehouse)), warehouse)
        assert refused == f"error: {warehouse}: no DuckDB warehouse here; run cpc build first"


def test_a_failing_unit_test_is_not_shown_as_failing_rows() -> None:
    """A unit test's query returns the model's actual output, so its first row is not what failed:
    the one-line error points to dbt's diff instead, while a data test still shows its first row."""
    from types import SimpleNamespace

    from cpc.build import _failure_line

    def node_result(name: str, resource_type: str) -> SimpleNamespace:
        node = SimpleNamespace(name=name, resource_type=resource_type, compiled_code="select 1")
        return SimpleNamespace(status="fail", failures=1, message=None, node=node)

    shown: list[str] = []

    def first_row(sql: str) -> str:
        shown.append(sql)
        return "customer_id=acme"

    unit = SimpleNamespace(exception=None, result=SimpleNamespace(results=[node_result("forecast_test", "unit_test")]))
    line = _failure_line("build", unit, first_row)
    assert "forecast_test (the model's output differs from the expected rows" in line
    assert "failing row" not in line and shown == []
    data = SimpleNamespace(exception=None, result=SimpleNamespace(results=[node_result("not_null_x", "test")]))
    assert _failure_line("build", data, first_row).endswith("first failing row of not_null_x: customer_id=acme")


def test_an_incremental_table_of_an_earlier_version_asks_for_a_full_refresh() -> None:
    """A warehouse built before a ledger model gained a column fails its incremental run in dbt
    (on_schema_change 'fail'); the one line says what happened and the command that fixes it."""
    from types import SimpleNamespace

    from cpc.build import _failure_line

    message = (
        "Compilation Error in model customer_costs_daily (models/marts/costs/customer_costs_daily.sql)\n"
        "  The source and target schemas on this incremental model are out of sync!\n"
        "  They can be reconciled in several ways:"
    )
    node = SimpleNamespace(name="customer_costs_daily", resource_type="model", compiled_code=None)
    result = SimpleNamespace(exception=None, result=SimpleNamespace(
        results=[SimpleNamespace(status="error", failures=None, message=message, node=node)]))
    assert _failure_line("build", result) == (
        "dbt build failed: 1 node(s) failed: customer_costs_daily (its table in the warehouse has the columns"
        " of an earlier version of the project; run cpc build --full-refresh to rebuild it)"
    )

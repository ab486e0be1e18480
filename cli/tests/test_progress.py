"""On a terminal `cpc build` shows where it is (files landed, dbt's nodes done of the total and the
node running, elapsed time); the summary names the slowest nodes. Off a terminal (every other test
of the suite) the output stays line-based."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES
from cpc import PROJECT_DIR


def _run_on_a_terminal(args: list[str], timeout: float = 600) -> tuple[int, str]:
    """Run `cpc` with a pseudo-terminal as stdout and stderr; returns its exit code and output."""
    leader, follower = os.openpty()
    env = dict(os.environ, COLUMNS="160", TERM="xterm-256color")
    process = subprocess.Popen([sys.executable, "-m", "cpc.app", *args], cwd=PROJECT_DIR,
                               env=env, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the terminal closed: the process has ended
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            elif process.poll() is not None:
                break
    finally:
        os.close(leader)
    code = process.wait(timeout=60)
    return code, b"".join(chunks).decode("utf-8", errors="replace")


def test_a_build_on_a_terminal_shows_its_progress_and_slowest_nodes(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    code, output = _run_on_a_terminal(
        ["build", "--input", str(FIXTURES / "kubernetes"), "--warehouse", str(warehouse)]
    )
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    assert code == 0, plain[-3000:]
    assert re.search(r"landing .*\d+/\d+", plain), plain[-3000:]
    counts = [(int(done), int(total)) for done, total in re.findall(r"dbt build .*?(\d+)/(\d+)", plain)]
    assert counts, plain[-3000:]
    assert len({total for _, total in counts}) == 1
    assert max(done for done, _ in counts) > min(done for done, _ in counts), "it never moved"
    # dbt's own line per node is left out on a terminal; the summary is printed as usual.
    assert " START sql " not in plain
    assert "Built " in plain
    slowest = re.search(r"slowest: (.+)", plain)
    assert slowest and len(re.findall(r"\S+ \d+\.\d s", slowest.group(1))) == 5, plain[-2000:]

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
    # The total is every node the build ran (exposures, models, seeds and data tests, as its
    # summary counts them), and the count of those done moves up through the build.
    built = re.search(r"Built .*?: ((?:\d+ \w+, )*\d+ tests) —", " ".join(plain.split()))
    assert built and " models, " in built.group(1), plain[-3000:]
    nodes = sum(int(count) for count in re.findall(r"(\d+) \w+", built.group(1)))
    done = [int(count) for count, total in re.findall(r"(\d+)/(\d+)", plain) if int(total) == nodes]
    assert done, plain[-3000:]
    assert max(done) > min(done), "it never moved"
    # dbt's own line per node is left out on a terminal; the summary is printed as usual.
    assert " START sql " not in plain
    assert "Built " in plain
    slowest = re.search(r"slowest: (.+)", plain)
    assert slowest and len(re.findall(r"\S+ \d+\.\d s", slowest.group(1))) == 5, plain[-2000:]

"""A new warehouse reuses dbt's parse of the project from an earlier warehouse's build; a parse made
with other vars, or in the project's old folder, is never taken."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from cpc import PROJECT_DIR

# dbt runs in a child process: it keeps global state (flags, events) in the process that runs it.
PARSE = """
import json, os, sys
from pathlib import Path
from cpc.build import run_dbt
from cpc.rules import default_rules
dbt_vars = default_rules().to_dbt_vars()
dbt_vars.update(json.loads(sys.argv[2]))
before = os.getcwd()
run_dbt(["parse"], warehouse=Path(sys.argv[1]), target="duckdb", dbt_vars=dbt_vars, quiet=True)
assert os.getcwd() == before, (os.getcwd(), before)
"""


def _parse(warehouse: str, cwd: Path, cache: Path, project: Path = PROJECT_DIR, **dbt_vars: object) -> str:
    """`dbt parse` of the project in ``project`` (its cpc imported from there) for ``warehouse``
    (as given, relative to ``cwd``); returns the parse's dbt log."""
    env = dict(os.environ, CPC_CACHE_DIR=str(cache), PYTHONPATH=str(project / "cli"))
    done = subprocess.run([sys.executable, "-c", PARSE, warehouse, json.dumps(dbt_vars)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = (cwd / warehouse).parent / f"{Path(warehouse).stem}.dbt" / "logs" / "dbt.log"
    return log.read_text()


def _manifest_nodes(folder: Path) -> dict:
    manifest = json.loads((folder / "warehouse.dbt" / "target" / "manifest.json").read_text())
    return {key: (node["database"], node["schema"], node["relation_name"], node["checksum"]["checksum"])
            for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}


def test_a_new_warehouse_reuses_the_parse_and_other_vars_or_a_moved_project_parse_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for folder in ("first", "second", "other"):
        (tmp_path / folder).mkdir()
    first = _parse("first/warehouse.duckdb", tmp_path, cache)  # a relative path, as users give it
    assert "Starting full parse" in first
    assert len(list((cache / "dbt-parse").glob("*.msgpack"))) == 1

    # Another folder, the same file name and vars: dbt takes the cached parse, and the manifest is
    # the one a full parse gives (the database is named after the file, as DuckDB names it).
    second = _parse(str(tmp_path / "second" / "warehouse.duckdb"), tmp_path, cache)
    assert "Unable to do partial parsing" not in second
    assert "Partial parsing enabled" in second
    nodes = _manifest_nodes(tmp_path / "second")
    assert nodes == _manifest_nodes(tmp_path / "first")
    assert {database for database, *_ in nodes.values()} == {"warehouse"}

    # Other vars (the rules compile into the models) never take a parse made with different ones.
    other = _parse("other/warehouse.duckdb", tmp_path, cache, cpc_lookback_days=3)
    assert "Unable to do partial parsing" in other
    assert len(list((cache / "dbt-parse").glob("*.msgpack"))) == 2

    # The project moved (a copy of it, whose cpc is imported from the copy): a build of a warehouse
    # built before must not take the parse the warehouse's dbt folder holds, which names the files
    # of the old folder (the seeds would be read from there, or not found).
    moved = tmp_path / "moved-project"
    shutil.copytree(PROJECT_DIR, moved, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".*_cache", ".hypothesis", "target", "logs", "demo", "bench-results*"))
    (tmp_path / "first" / "warehouse.dbt" / "logs" / "dbt.log").unlink()  # dbt appends to it
    again = _parse("first/warehouse.duckdb", tmp_path, cache, project=moved)
    assert "Starting full parse" in again
    manifest = json.loads((tmp_path / "first" / "warehouse.dbt" / "target" / "manifest.json").read_text())
    seeds = [node for node in manifest["nodes"].values() if node["resource_type"] == "seed"]
    assert seeds and {node["root_path"] for node in seeds} == {str(moved)}

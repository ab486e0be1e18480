"""Slim CI (make ci-slim, scripts/ci-slim): a change to one mart selects exactly that mart and what
depends on it, as the base revision's manifest lists them, and nothing else."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cpc import PROJECT_DIR

MART = "model.cost_per_customer.customer_costs_monthly"
MART_FILE = Path("models/marts/costs/customer_costs_monthly.sql")


def _dbt(project: Path, *args: str) -> object:
    """Run dbt in this process on a copy of the project; returns dbt's result (dbt ls: its lines)."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke([*args, "--quiet", "--project-dir", str(project),
                                 "--profiles-dir", str(project / "profiles"), "--target", "duckdb",
                                 "--log-path", str(project / "logs")])
    assert result.success, result.exception
    return result.result


def _descendants(manifest: dict, node: str) -> set[str]:
    found, todo = {node}, [node]
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def test_state_modified_selects_the_changed_mart_and_its_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    for name in ("models", "macros", "seeds", "profiles"):
        shutil.copytree(PROJECT_DIR / name, project / name)
    shutil.copytree(PROJECT_DIR / "tests", project / "tests", ignore=shutil.ignore_patterns("fixtures"))
    shutil.copy(PROJECT_DIR / "dbt_project.yml", project)
    monkeypatch.setenv("CPC_WAREHOUSE", str(tmp_path / "ci.duckdb"))
    state = tmp_path / "base-state"
    _dbt(project, "parse", "--target-path", str(state))  # the base revision's manifest

    (project / MART_FILE).write_text((project / MART_FILE).read_text() + "\n-- a harmless comment\n")
    listing = tmp_path / "head-target"
    listing.mkdir()
    shutil.copy(state / "partial_parse.msgpack", listing)  # parse only what changed
    lines = _dbt(project, "ls", "--select", "state:modified+", "--state", str(state),
                 "--target-path", str(listing), "--output", "json", "--output-keys", "unique_id")
    assert isinstance(lines, list)
    selected = {json.loads(line)["unique_id"] for line in lines}

    manifest = json.loads((state / "manifest.json").read_text())
    expected = _descendants(manifest, MART)
    assert selected == expected
    # The mart, the marts built on it (segments, statements) and their data and unit tests;
    # not its parents nor the marts beside it.
    models = {node for node in selected if node.startswith("model.")}
    assert MART in models and len(models) > 1
    assert "model.cost_per_customer.unattributed_costs_monthly" not in selected
    assert not set(manifest["parent_map"][MART]) & selected
    assert any(node.startswith("test.") for node in selected)
    assert any(node.startswith("unit_test.") for node in selected)

"""The pull-request workflow (.github/workflows/ci.yml) is well formed and runs only what the
repository has: every step is a make target of the Makefile or a script of the repository, every
action is pinned to a major version, and the jobs cover lint, DuckDB, Spark, the demo with its
validation, and the cost impact of a pull request."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml
from cpc import PROJECT_DIR

WORKFLOW = PROJECT_DIR / ".github" / "workflows" / "ci.yml"
KNOWN_KEYS = {
    "workflow": {"name", "on", "jobs", "env", "permissions", "concurrency", "defaults"},
    "job": {"runs-on", "steps", "strategy", "env", "if", "needs", "timeout-minutes", "permissions",
            "name", "services", "container", "defaults", "concurrency", "outputs"},
    "step": {"uses", "run", "with", "env", "name", "id", "if", "shell", "working-directory",
             "continue-on-error", "timeout-minutes"},
}


@pytest.fixture(scope="module")
def workflow() -> dict:
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    if True in loaded:
        loaded["on"] = loaded.pop(True)
    return loaded


def _make_targets() -> set[str]:
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w-]*):", makefile, flags=re.MULTILINE))


def _steps(workflow: dict) -> list[tuple[str, dict]]:
    return [(name, step) for name, job in workflow["jobs"].items() for step in job["steps"]]


def test_the_workflow_has_only_known_keys_and_runs_on_pull_requests_and_pushes(workflow: dict) -> None:
    assert set(workflow) <= KNOWN_KEYS["workflow"]
    assert {"pull_request", "push"} <= set(workflow["on"])
    for name, job in workflow["jobs"].items():
        assert set(job) <= KNOWN_KEYS["job"], name
        assert job["runs-on"] and job["steps"], name
    for name, step in _steps(workflow):
        assert set(step) <= KNOWN_KEYS["step"], (name, step)
        assert ("uses" in step) != ("run" in step), (name, step)


def test_every_step_runs_a_make_target_or_a_script_of_the_repository(workflow: dict) -> None:
    targets = _make_targets()
    for name, step in _steps(workflow):
        if "uses" in step:
            assert re.fullmatch(r"actions/[\w-]+@v\d+", step["uses"]), (name, step["uses"])
            continue
        for line in step["run"].strip().splitlines():
            words = shlex.split(line)
            if words[0] == "make":
                assert words[1] in targets, (name, line)
            else:
                assert (PROJECT_DIR / words[0]).is_file(), (name, line)


def test_the_jobs_cover_lint_both_engines_the_demo_and_the_cost_impact(workflow: dict) -> None:
    runs = {name: " ".join(step.get("run", "") for step in job["steps"]) for name, job in workflow["jobs"].items()}
    everything = " ".join(runs.values())
    for target in ("make lint", "make test-fast", "make test-spark", "make demo", "make validate-demo",
                   "make cost-impact"):
        assert target in everything, target
    pythons = workflow["jobs"]["test-duckdb"]["strategy"]["matrix"]["python"]
    assert {"3.11", "3.13"} <= set(pythons)
    assert workflow["jobs"]["cost-impact"]["if"] == "github.event_name == 'pull_request'"

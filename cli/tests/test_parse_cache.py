"""A new warehouse reuses dbt's parse of the project from an earlier warehouse's build, also when its
name and rules differ; a parse made in the project's old folder is never taken."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from cpc import PROJECT_DIR, publish

# dbt runs in a child process: it keeps global state (flags, events) in the process that runs it.
PARSE = """
import json, os, sys
from pathlib import Path
from cpc.build import run_dbt
from cpc.rules import default_rules
settings = default_rules().to_dbt_vars()
settings.update(json.loads(sys.argv[2]))
before = os.getcwd()
run_dbt(["parse"], warehouse=Path(sys.argv[1]), target="duckdb", settings=settings, quiet=True)
assert os.getcwd() == before, (os.getcwd(), before)
"""


def _parse(warehouse: str, cwd: Path, cache: Path, project: Path = PROJECT_DIR, **settings: object) -> str:
    """`dbt parse` of the project in ``project`` (its cpc imported from there) for ``warehouse``
    (as given, relative to ``cwd``); returns the parse's dbt log."""
    env = dict(os.environ, CPC_CACHE_DIR=str(cache), PYTHONPATH=str(project / "cli"))
    done = subprocess.run([sys.executable, "-c", PARSE, warehouse, json.dumps(settings)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = (cwd / warehouse).parent / f"{Path(warehouse).stem}.dbt" / "logs" / "dbt.log"
    return log.read_text()


def _manifest_nodes(working: Path) -> dict:
    manifest = json.loads((working.parent / "cpc.dbt" / "target" / "manifest.json").read_text())
    return {key: (node["database"], node["schema"], node["relation_name"], node["checksum"]["checksum"])
            for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}


def test_a_new_warehouse_reuses_the_parse_whatever_its_name_and_rules_and_a_moved_project_parses_again(
        tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    # dbt runs on a build's working file (cpc.publish), named alike for every warehouse.
    first_file = publish.working_file(Path("first") / "warehouse.duckdb")  # relative, as users give it
    second_file = publish.working_file(tmp_path / "second" / "sales.duckdb")
    other_file = publish.working_file(Path("other") / "costs.duckdb")
    for working in (first_file, second_file, other_file):
        (tmp_path / working).parent.mkdir(parents=True)
    first = _parse(str(first_file), tmp_path, cache)
    assert "Starting full parse" in first
    assert len(list((cache / "dbt-parse").glob("*.msgpack"))) == 1

    # Another folder, another warehouse name, the same vars: dbt takes the cached parse, and the
    # manifest is the one a full parse gives (the database is named after the working file, as
    # DuckDB names it).
    second = _parse(str(second_file), tmp_path, cache)
    assert "Unable to do partial parsing" not in second
    assert "Partial parsing enabled" in second
    nodes = _manifest_nodes(second_file)
    assert nodes == _manifest_nodes(tmp_path / first_file)
    assert {database for database, *_ in nodes.values()} == {"cpc"}

    # Other settings (another allocation.yml) take the same parse, all of it: cpc gives them in the
    # environment, which the parse does not read (it would parse the project again for other --vars).
    other = _parse(str(other_file), tmp_path, cache, cpc_lookback_days=3, cpc_customer_tag_key="tenant")
    assert "Partial parsing enabled, no changes found, skipping parsing" in other
    assert len(list((cache / "dbt-parse").glob("*.msgpack"))) == 1

    # The project moved (a copy of it, whose cpc is imported from the copy): a build of a warehouse
    # built before must not take the parse the warehouse's dbt folder holds, which names the files
    # of the old folder (the seeds would be read from there, or not found).
    moved = tmp_path / "moved-project"
    shutil.copytree(PROJECT_DIR, moved, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".*_cache", ".hypothesis", "target", "logs", "demo", "bench-results*"))
    dbt_folder = (tmp_path / first_file).parent / "cpc.dbt"
    (dbt_folder / "logs" / "dbt.log").unlink()  # dbt appends to it
    again = _parse(str(first_file), tmp_path, cache, project=moved)
    assert "Starting full parse" in again
    manifest = json.loads((dbt_folder / "target" / "manifest.json").read_text())
    seeds = [node for node in manifest["nodes"].values() if node["resource_type"] == "seed"]
    assert seeds and {node["root_path"] for node in seeds} == {str(moved)}


#: Settings unlike the defaults in every way a setting can differ: other tag keys, every method, a
#: surcharge, another reporting currency, Kubernetes and reconciliation settings, a lookback.
OTHER_SETTINGS = """\
customer_tag_key: tenant
reporting_currency: EUR
fx_max_gap_days: 3
kubernetes: {cpu_hourly_price: 0.05, ram_gib_hourly_price: 0.01, share_idle: weighted}
reconciliation: {tolerance: 0.05, units: {egress_gb: GB}}
incremental: {lookback_days: 2}
surcharges:
  - {name: eu-residency, match: "region_id like 'eu-%'", rate: 0.1, category: security}
rules:
  - {name: tagged, method: tag, match: "tag('team') is null"}
  - {name: by-cpu, method: usage, metric: cpu_core_hours, effective_from: 2024-01-15}
  - {name: weighted, method: weighted, weights: {segment: {enterprise: 3}}}
  - {name: fixed, method: fixed, shares: {acme: 0.6}, remainder: unattributed, match: "service_category = 'Storage'"}
  - {name: revenue, method: revenue, match: "service_category = 'Networking'"}
  - {name: even, method: even, match: "service_category = 'Databases'"}
  - {name: taxes, method: proportional_to_cost, match: "charge_category = 'Tax'"}
"""


def _parsed_graph(settings: dict[str, object], folder: Path) -> dict[str, object]:
    """`dbt parse` with these settings as --vars (dbt run by hand: the parse's var() sees them);
    returns what the parse decides of each node: what it reads and how it is materialized."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "parse", "--quiet",
         "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR / "profiles"), "--target", "duckdb",
         "--target-path", str(folder / "target"), "--log-path", str(folder / "logs"), "--vars", json.dumps(settings)],
        capture_output=True, text=True, timeout=600, check=False, cwd=PROJECT_DIR,
        env=dict(os.environ, CPC_WAREHOUSE=str(folder / "unused.duckdb"), CPC_SETTINGS=""),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    manifest = json.loads((folder / "target" / "manifest.json").read_text())
    return {key: (sorted(node.get("depends_on", {}).get("nodes", [])),
                  sorted({json.dumps(ref, sort_keys=True) for ref in node.get("refs", [])}),  # each ref once
                  node.get("sources"), node["config"])
            for key, node in manifest["nodes"].items()}


def test_what_the_parse_records_does_not_depend_on_the_settings(tmp_path: Path) -> None:
    """cpc gives the settings to the models only when they run (macro setting), so a node whose
    refs, sources or config depended on a setting would run with those of the defaults: its build
    would fail (a ref dbt did not infer) or be wrong (a config). With every setting changed, and
    --reprocess-from given, the parse records the same for every node."""
    from cpc.rules import default_rules, load_rules

    allocation = tmp_path / "allocation.yml"
    allocation.write_text(OTHER_SETTINGS)
    other = load_rules(allocation).to_dbt_vars() | {"cpc_reprocess_from": "2024-01-02"}
    defaults = default_rules().to_dbt_vars()
    assert all(other[name] != defaults.get(name) for name in other if name != "cpc_rules_hash"), other
    default_graph = _parsed_graph(defaults, tmp_path / "defaults")
    other_graph = _parsed_graph(other, tmp_path / "other")
    assert default_graph.keys() == other_graph.keys()
    assert [key for key in default_graph if default_graph[key] != other_graph[key]] == []

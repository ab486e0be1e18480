"""`cpc docs`: dbt's docs site of a built warehouse as one static page that opens offline, with
the exposures (who reads which mart) and the semantic layer in its lineage."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import BuiltInput, one_line_error, run_cpc
from cpc import PROJECT_DIR
from cpc.docs import REMOTE_ASSET

CLI = PROJECT_DIR / "cli" / "cpc"


def _embedded(html: str, label: str) -> dict[str, Any]:
    """The JSON document dbt embeds in the static page under ``label:`` (manifest, catalog)."""
    start = html.index("{", html.index(f"{label}:{{"))
    document, _ = json.JSONDecoder().raw_decode(html, start)
    return document


@pytest.fixture(scope="module")
def site(generated_build: BuiltInput, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("docs") / "site"
    done = run_cpc("docs", "--warehouse", str(generated_build.warehouse), "--out", str(out))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"Wrote {out / 'index.html'}" in done.stdout
    return out / "index.html", (out / "index.html").read_text(encoding="utf-8")


def test_one_static_page_with_the_manifest_and_the_catalog(site: tuple[Path, str]) -> None:
    index, html = site
    assert [path.name for path in index.parent.iterdir()] == ["index.html"]
    manifest, catalog = _embedded(html, "manifest"), _embedded(html, "catalog")
    # the catalog was read from the warehouse: the marts' tables with their columns and types
    ledger = catalog["nodes"]["model.cost_per_customer.customer_costs_daily"]
    assert ledger["metadata"]["schema"] == "marts"
    assert ledger["columns"]["allocated_cost"]["type"].upper().startswith("DECIMAL")
    assert "model.cost_per_customer.time_spine_daily" in catalog["nodes"]
    # the semantic layer is documented too
    assert {"total_cost", "unattributed_share", "cost_to_revenue"} <= {
        metric["name"] for metric in manifest["metrics"].values()}
    assert "semantic_model.cost_per_customer.customer_costs" in manifest["semantic_models"]
    # nothing is fetched from elsewhere, and no usage tracking is switched on
    assert not REMOTE_ASSET.search(html)
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False


def test_lineage_shows_who_reads_each_mart(site: tuple[Path, str]) -> None:
    manifest = _embedded(site[1], "manifest")
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    assert {"executive_dashboard", "on_call_dashboard", "customer_debug_dashboard", "cost_report",
            "cost_explanation"} <= set(exposures)
    readers = manifest["child_map"]["model.cost_per_customer.customer_costs_monthly"]
    assert "exposure.cost_per_customer.executive_dashboard" in readers
    assert "exposure.cost_per_customer.cost_report" in readers
    assert "exposure.cost_per_customer.cost_report" in manifest["child_map"][
        "model.cost_per_customer.segment_costs_monthly"]
    assert exposures["on_call_dashboard"]["type"] == "dashboard"


def _marts_read(*modules: str) -> set[str]:
    text = "".join((CLI / module).read_text() for module in modules)
    return set(re.findall(r"\bmarts\.(\w+)", text))


@pytest.mark.parametrize(("exposure", "modules"), [
    ("cost_report", ("report.py", "truth.py")),
    ("cost_explanation", ("explain.py",)),
    ("daily_digest", ("watch.py",)),
])
def test_report_exposures_name_the_marts_the_code_reads(exposure: str, modules: tuple[str, ...]) -> None:
    declared = yaml.safe_load((PROJECT_DIR / "models" / "marts" / "_marts__exposures.yml").read_text())
    depends_on = next(item["depends_on"] for item in declared["exposures"] if item["name"] == exposure)
    assert {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in depends_on} == _marts_read(*modules)


def test_a_missing_warehouse_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.duckdb"
    done = run_cpc("docs", "--warehouse", str(missing), "--out", str(tmp_path / "site"))
    assert "run cpc build first" in one_line_error(done, missing)
    assert not (tmp_path / "site").exists()


def test_an_out_that_is_a_file_is_one_line(generated_build: BuiltInput, tmp_path: Path) -> None:
    taken = tmp_path / "site"
    taken.write_text("not a folder")
    done = run_cpc("docs", "--warehouse", str(generated_build.warehouse), "--out", str(taken))
    assert "is a file, not a folder" in one_line_error(done, taken)
    assert taken.read_text() == "not a folder"

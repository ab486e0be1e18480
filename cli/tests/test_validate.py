"""`cpc validate` (and `cpc build --validate`): Great Expectations suites catch broken inputs that
dbt's tests let through, pass a clean generated input, and write Data Docs that open offline."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from conftest import PROJECT_DIR, BuiltInput, Completed, one_line_error, query, run_cpc
from cpc.validate.settings import POLICY_REASONS, SETTINGS
from cpc.validate.suites import FRAMES

HALF_DAY = "2024-01-12"
SILENT_METRIC = "db_cpu_seconds"
SILENT_DAYS = ("2024-01-15", "2024-01-16", "2024-01-17")
#: What a page needs from the network to show: scripts, stylesheets, images, frames, fonts (a
#: plain link to a web page is not needed).
REMOTE_NEEDED = re.compile(
    r"""<(?:script|img|iframe|source|embed)\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""",
    re.IGNORECASE)


@dataclass
class BrokenBuild:
    input_dir: Path
    warehouse: Path
    build: Completed


def _rewrite_csv_gz(path: Path, keep) -> int:
    """Rewrite a csv.gz keeping the rows ``keep`` selects (all values as text); rows dropped."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    kept = frame[keep(frame)]
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        kept.to_csv(handle, index=False)
    return len(frame) - len(kept)


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory: pytest.TempPathFactory) -> BrokenBuild:
    """A tiny generated input (20 customers x 20 days) with two defects dbt's tests accept: half
    the billing rows of one day missing, and one metric that stops reporting for three days;
    built with --validate."""
    root = tmp_path_factory.mktemp("validate_broken")
    input_dir = root / "input"
    done = run_cpc("generate", "--customers", "20", "--days", "20", "--seed", "3",
                   "--out", str(input_dir))
    assert done.returncode == 0, done.stderr
    [billing] = (input_dir / "billing").glob("*.csv.gz")
    day_rows = []

    def without_half_the_day(frame: pd.DataFrame) -> pd.Series:
        on_day = frame.index[frame["ChargePeriodStart"].str[:10] == HALF_DAY]
        day_rows.append(len(on_day))
        return ~frame.index.isin(on_day[::2])

    dropped = _rewrite_csv_gz(billing, without_half_the_day)
    assert dropped == (day_rows[0] + 1) // 2 > 50
    [usage] = (input_dir / "usage").glob("*.csv.gz")
    silenced = _rewrite_csv_gz(usage, lambda frame: ~(
        (frame["metric"] == SILENT_METRIC) & frame["usage_date"].isin(SILENT_DAYS)))
    assert silenced > 0
    warehouse = root / "warehouse.duckdb"
    build = run_cpc("build", "--input", str(input_dir), "--warehouse", str(warehouse),
                    "--validate", "--docs", str(root / "docs"))
    return BrokenBuild(input_dir, warehouse, build)


def _lines(done: Completed, level: str, suite: str) -> list[str]:
    return [line for line in done.stdout.splitlines()
            if line.startswith(f"{level}: ") and f"({suite})" in line]


def test_build_passes_dbt_but_validation_fails_naming_the_day_and_the_metric(broken_build):
    done = broken_build.build
    # dbt built and tested every model and published the warehouse ...
    assert "Built " in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    assert query(broken_build.warehouse,
                 "select status from cpc_meta.builds order by started_at desc limit 1") == [
        ("success",)]
    # ... but the half-delivered day and the silent metric fail critical expectations.
    line = one_line_error(done, broken_build.warehouse)
    assert "critical expectation failed" in line
    [billing] = _lines(done, "critical", "staging.billing_daily_totals")
    assert set(re.findall(r"charge_date=(\S+?),", billing)) == {HALF_DAY}, billing
    [usage] = _lines(done, "critical", "staging.usage_daily_totals")
    assert set(re.findall(r"metric=(\S+?),", usage)) == {SILENT_METRIC}, usage
    assert set(re.findall(r"usage_date=(\S+?),", usage)) == set(SILENT_DAYS), usage
    assert "int_charges_deduplicated column ratio_to_trailing_median" in billing
    # Without the silent metric's days, their cost had no usage driver: more than the goal of
    # the bill stays unattributed.
    [share] = _lines(done, "critical", "marts.unattributed_share")
    assert "month=2024-01-01" in share and "unattributed_share=" in share


def test_marts_suites_catch_a_statement_off_the_ledger_and_a_jump_in_cost(broken_build, tmp_path):
    """On a copy of the built warehouse: one statement line 5 cents off its ledger (critical),
    and a customer's next month at ten times the cost per day (a warning). The bands are
    loosened (--set) so far that the input's own defects pass."""
    warehouse = tmp_path / "tampered.duckdb"
    shutil.copyfile(broken_build.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        [(customer,)] = con.execute(
            "select min(customer_id) from marts.customer_statements_monthly").fetchall()
        con.execute("update marts.customer_statements_monthly set statement_cost = "
                    "statement_cost + 0.05 where customer_id = ?", [customer])
        con.execute("insert into marts.customer_costs_monthly (month, customer_id, currency, "
                    "total_cost, days_with_cost) select month + interval 1 month, customer_id, "
                    "currency, total_cost * 10, days_with_cost from marts.customer_costs_monthly "
                    "where customer_id = ?", [customer])
    done = run_cpc("validate", "--warehouse", str(warehouse), "--docs", str(tmp_path / "docs"),
                   "--set", "billing_day_min_ratio=0.4", "--set", "usage_day_min_ratio=0",
                   "--set", "unattributed_goal=0.5")
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-2000:]
    critical = [line for line in done.stdout.splitlines() if line.startswith("critical: ")]
    assert len(critical) == 1, critical
    [statements] = _lines(done, "critical", "marts.statements_vs_ledger")
    assert f"customer_id={customer}" in statements and "difference=0.05" in statements
    assert "2 of" in statements  # the line and its month's total
    [jump] = _lines(done, "warning", "marts.customer_month_changes")
    assert f"month=2024-02-01, customer_id={customer}" in jump and "change_factor=10" in jump


@pytest.fixture(scope="module")
def clean_validation(generated_build: BuiltInput, tmp_path_factory) -> tuple[Completed, Path]:
    """`cpc validate` of the session's clean generated build (read only; docs elsewhere)."""
    docs = tmp_path_factory.mktemp("validate_clean") / "docs"
    done = run_cpc("validate", "--warehouse", str(generated_build.warehouse), "--docs", str(docs))
    return done, docs


def test_clean_generated_input_passes_with_warnings_printed(clean_validation):
    done, _docs = clean_validation
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert not [line for line in done.stdout.splitlines() if line.startswith("critical: ")]
    assert re.search(r"Validated .* 0 critical and 1 warning failures", done.stdout), done.stdout
    # The generated January carries one-off costs February does not (docs/validation.md).
    [moves] = _lines(done, "warning", "marts.customer_month_changes")
    assert "month=2024-02-01" in moves


def test_data_docs_are_written_and_need_nothing_remote(clean_validation):
    done, docs = clean_validation
    index = docs / "index.html"
    assert f"Data Docs: {index}" in done.stdout
    pages = list(docs.rglob("*.html"))
    validation_pages = [page for page in pages if "validations" in page.parts]
    assert len(validation_pages) == 10  # one per frame
    text = index.read_text(encoding="utf-8")
    for link in re.findall(r'href="([^"]+)"', text):
        assert (docs / link).is_file(), link
    assert "staging.billing_daily_totals" in text and "marts.statements_vs_ledger" in text
    for page in [*pages, *docs.rglob("*.css")]:
        remote = REMOTE_NEEDED.findall(page.read_text(encoding="utf-8"))
        assert not remote, (page, remote[:3])


def test_bad_settings_and_foreign_docs_folders_are_refused_before_building(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    line = one_line_error(run_cpc("validate", "--warehouse", str(warehouse),
                                  "--set", "month_change_factr=2"))
    assert "month_change_factr=2" in line and "month_change_factor" in line
    one_line_error(run_cpc("validate", "--warehouse", str(warehouse),
                           "--set", "unattributed_goal=5"))
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    line = one_line_error(run_cpc("build", "--input", str(tmp_path / "nothing"),
                                  "--warehouse", str(warehouse), "--validate",
                                  "--docs", str(foreign)), foreign)
    assert "other files" in line
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert not warehouse.exists()


def test_a_landed_but_unbuilt_warehouse_is_one_error_line(broken_build, tmp_path):
    warehouse = tmp_path / "landed.duckdb"
    landed = run_cpc("land", "--input", str(broken_build.input_dir), "--warehouse", str(warehouse))
    assert landed.returncode == 0, landed.stderr
    line = one_line_error(run_cpc("validate", "--warehouse", str(warehouse)), warehouse)
    assert "not built" in line and "cpc build" in line
    assert not (tmp_path / "landed-validation").exists()


def test_validate_imports_gx_only_when_it_runs():
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys, cpc.app; assert 'great_expectations' not in sys.modules"],
        capture_output=True, text=True, check=False, cwd=PROJECT_DIR)
    assert done.returncode == 0, done.stderr


def test_docs_list_every_suite_setting_and_counted_reason():
    text = (PROJECT_DIR / "docs" / "validation.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        default = f"{setting.default:g}"
        assert re.search(rf"`{setting.name}`\s*\|\s*{re.escape(default)}\s*\|", text), setting.name
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    reasons = {reason for group in project["vars"]["cpc_unattributed_reasons"].values()
               for reason in group}
    assert set(POLICY_REASONS) <= reasons
    counted = text.split("**Unattributed share.**", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"`([a-z_]+)`", counted)) == reasons - set(POLICY_REASONS)
    for frame in FRAMES:
        assert f"| `{frame.suite_name}` |" in text, frame.suite_name

"""What a reviewer relies on in `cpc diff` and `cpc rules diff --format markdown`: the exact cost
a change moves per customer, segment and month, the unattributed cost before and after, the data
tests that changed outcome, and one error line for a warehouse that is not there."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FIXTURES, one_line_error, run_cpc
from cpc import compare

BASE_RULES = """\
rules:
  - name: tagged
    method: tag
  - name: usage-by-service
    method: usage
"""
# The one rule changed: the untagged EC2 charge (6.00) goes half to acme, half to globex.
HEAD_RULES = """\
rules:
  - name: tagged
    method: tag
  - name: usage-by-service
    method: fixed
    match: "resource_id = 'i-2'"
    shares: {acme: 0.5, globex: 0.5}
"""


@pytest.fixture(scope="module")
def rules_diffed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, str]:
    """`cpc rules diff --format markdown --keep` of tests/fixtures/bad_input with each rules file:
    (base rules, head rules, the folder holding the two warehouses it built, what it printed)."""
    root = tmp_path_factory.mktemp("cost-impact")
    base_rules, head_rules = root / "base.yml", root / "head.yml"
    base_rules.write_text(BASE_RULES)
    head_rules.write_text(HEAD_RULES)
    kept = root / "kept"
    done = run_cpc("rules", "diff", str(base_rules), str(head_rules), "--input", str(FIXTURES / "bad_input"),
                   "--format", "markdown", "--keep", str(kept))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return base_rules, head_rules, kept, done.stdout


@pytest.fixture(scope="module")
def built_pair(rules_diffed: tuple[Path, Path, Path, str]) -> tuple[Path, Path, Path, Path]:
    """tests/fixtures/bad_input built with each rules file: (base rules, head rules, base, head)."""
    base_rules, head_rules, kept, _ = rules_diffed
    return base_rules, head_rules, kept / "old.duckdb", kept / "new.duckdb"


def test_diff_moves_exactly_the_hand_computed_amounts(built_pair: tuple[Path, Path, Path, Path]) -> None:
    _, _, base, head = built_pair
    done = run_cpc("diff", "--base", str(base), "--head", str(head), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    # Base: the 6.00 charge split by March 1's cpu usage: acme 3, globex 1 and 1 without a
    # customer: acme 3.60, globex 1.20, unknown_customer 1.20. Head: acme 3.00, globex 3.00.
    # acme also has its tagged 2.50 and its 30.00 support ticket in both.
    customers = {row["customer_id"]: tuple(Decimal(row[key]) for key in ("old_cost", "new_cost", "change", "moved"))
                 for row in result["customers"]}
    assert customers == {
        "acme": (Decimal("36.10"), Decimal("35.50"), Decimal("-0.60"), Decimal("0.60")),
        "globex": (Decimal("1.20"), Decimal("3.00"), Decimal("1.80"), Decimal("1.80")),
    }
    assert [row["customer_id"] for row in result["customers"]] == ["globex", "acme"]  # largest move first
    segments = {(row["segment"], row["month"]): Decimal(row["change"]) for row in result["segments"]}
    assert segments == {("enterprise", "2024-03"): Decimal("-0.60"), ("smb", "2024-03"): Decimal("1.80")}
    reasons = {(row["month"], row["reason"]): (Decimal(row["old_cost"]), Decimal(row["new_cost"]))
               for row in result["unattributed"]}
    # unknown_customer: the 1.20 of usage without a customer, besides the 2.00 tagged to a customer
    # customers.csv lacks and the 15.00 ticket of one.
    assert reasons == {("2024-03", "unknown_customer"): (Decimal("18.20"), Decimal("17.00"))}
    (march,) = result["unattributed_share"]
    assert Decimal(march["old_total"]) == Decimal(march["new_total"])  # money moved, none made or lost
    assert Decimal(march["old_unattributed"]) - Decimal(march["new_unattributed"]) == Decimal("1.20")
    assert Decimal(march["new_share"]) == (Decimal(march["new_unattributed"]) / Decimal(march["new_total"])).quantize(
        Decimal("0.0001"))
    assert result["tests"]["recorded"] and result["tests"]["changes"] == []
    assert result["tests"]["compared"] > 100


def test_diff_markdown_is_a_review_summary(built_pair: tuple[Path, Path, Path, Path]) -> None:
    _, _, base, head = built_pair
    done = run_cpc("diff", "--base", str(base), "--head", str(head), "--format", "markdown", "--top", "1")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("## Cost impact")
    assert "### Cost moved per segment and month" in text
    assert "| smb | 2024-03 | USD | 1.20 | 3.00 | +1.80 |" in text
    assert "| enterprise | 2024-03 | USD | 36.10 | 35.50 | -0.60 |" in text
    assert "(largest 1 of 2)" in text and "| globex | smb | USD | 1 | 1.20 | 3.00 | +1.80 | 1.80 |" in text
    assert "| acme |" not in text  # --top 1
    assert "| 2024-03 | unknown_customer | USD | 18.20 | 17.00 | -1.20 |" in text
    assert "no test changed outcome" in text


def test_rules_diff_markdown_shares_the_report(rules_diffed: tuple[Path, Path, Path, str]) -> None:
    """`cpc rules diff --format markdown` prints the rule changes above the same sections as
    `cpc diff`, and --keep leaves the two warehouses it built."""
    _, _, kept, text = rules_diffed
    assert "### Rules" in text and "changed: rule 'usage-by-service' (match, method, shares)" in text
    assert "| acme | 2024-03 | USD | 36.10 | 35.50 | -0.60 |" in text  # per customer and month
    assert "| smb | 2024-03 | USD | 1.20 | 3.00 | +1.80 |" in text
    assert "Data tests" not in text  # one project, one build of each: nothing to compare
    assert sorted(path.name for path in kept.glob("*.duckdb")) == ["new.duckdb", "old.duckdb"]


def test_a_missing_warehouse_is_one_error_line(built_pair: tuple[Path, Path, Path, Path], tmp_path: Path) -> None:
    missing = tmp_path / "never-built.duckdb"
    line = one_line_error(run_cpc("diff", "--base", str(missing), "--head", str(built_pair[3])), missing)
    assert "cpc build" in line
    assert not missing.exists()
    one_line_error(run_cpc("diff", "--base", str(built_pair[2]), "--head", str(built_pair[3]), "--format", "html"))


def _record(warehouse: Path, name: str, content: dict) -> None:
    target = warehouse.parent / f"{warehouse.stem}.dbt" / "target"
    target.mkdir(parents=True)
    (target / name).write_text(json.dumps(content))


def test_test_outcomes_that_changed_are_listed(tmp_path: Path) -> None:
    base, head, older = tmp_path / "base.duckdb", tmp_path / "head.duckdb", tmp_path / "older.duckdb"
    _record(base, "cpc_build.json", {"test_outcomes": {
        "test.cost_per_customer.a.1": {"status": "pass", "failures": 0},
        "test.cost_per_customer.b.2": {"status": "warn", "failures": 3},
        "test.cost_per_customer.c.3": {"status": "pass", "failures": 0},
    }})
    # A build by an older version: no test_outcomes, but dbt's run_results.json beside it.
    _record(head, "run_results.json", {"results": [
        {"unique_id": "test.cost_per_customer.a.1", "status": "warn", "failures": 2},
        {"unique_id": "test.cost_per_customer.b.2", "status": "warn", "failures": 3},
        {"unique_id": "test.cost_per_customer.d.4", "status": "pass", "failures": 0},
        {"unique_id": "model.cost_per_customer.m", "status": "success", "failures": None},
    ]})
    outcome = compare.compare_test_outcomes(base, head)
    assert outcome.recorded and outcome.compared == 4
    assert [(row["test"], row["old_status"], row["new_status"]) for row in outcome.changes] == [
        ("a", "pass", "warn"), ("c", "pass", "not run"), ("d", "not run", "pass")]
    text = compare.markdown("t", [part for part in compare.sections(compare.WarehouseDiff("b", "h", tests=outcome))
                                  if part.title.startswith("Data tests")])
    assert "| a | pass | warn (2 rows) |" in text
    unrecorded = compare.compare_test_outcomes(base, older)
    assert not unrecorded.recorded and str(older.resolve().parent / "older.dbt" / "target") in unrecorded.source

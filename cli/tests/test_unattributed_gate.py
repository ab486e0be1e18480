"""The unattributed-cost gate, end to end on the hand-made input of tests/fixtures/unattributed_gate
(figures computed by hand in its NOTICE.md): March leaves 60 % of its bill unattributed, above the
input's max_unattributed_share of 0.25. One build, with --strict: the warning, the record in
cpc_build.json and the failure all come from it; a build under its limit is the session's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, BuiltInput, Completed, one_line_error, run_cpc
from cpc.errors import UserError
from cpc.rules import default_rules, diff_rules, load_rules, project_vars

GATE_INPUT = FIXTURES / "unattributed_gate"
RULES = "rules:\n  - name: tagged\n    method: tag\n"
MARCH = (
    "unattributed cost is 60.0% of the bill in 2024-03, above max_unattributed_share 0.25 "
    "({rules}); top reasons: untagged 50.0%, unused_commitment 10.0%"
)


@pytest.fixture(scope="module")
def strict_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Completed]:
    """The fixture built once with --strict: (input folder, warehouse path, the build's output)."""
    root = tmp_path_factory.mktemp("gate")
    input_dir = root / "input"
    shutil.copytree(GATE_INPUT, input_dir)
    warehouse = root / "warehouse.duckdb"
    done = run_cpc("build", "--input", str(input_dir), "--warehouse", str(warehouse), "--strict")
    return input_dir, warehouse, done


def test_a_month_over_the_limit_is_a_warning_naming_its_share_and_reasons(strict_build) -> None:
    input_dir, warehouse, done = strict_build
    warnings = [line for line in done.stdout.splitlines() if line.startswith("warning:")]
    expected = MARCH.format(rules=input_dir / "allocation.yml")
    assert warnings == [f"warning: {expected}"], done.stdout  # February (fully tagged) is not named
    summary = json.loads((warehouse.parent / "warehouse.dbt" / "target" / "cpc_build.json").read_text())
    assert summary["warnings"] == [expected]
    gate = summary["unattributed_gate"]
    assert (gate["max_unattributed_share"], gate["strict"], gate["passed"]) == (0.25, True, False)
    assert [(month["month"], month["share"]) for month in gate["months_over"]] == [("2024-03", 0.6)]
    assert gate["months_over"][0]["top_reasons"] == [
        {"reason": "untagged", "share": 0.5}, {"reason": "unused_commitment", "share": 0.1}]


def test_strict_fails_with_one_line_and_publishes_nothing(strict_build) -> None:
    input_dir, warehouse, done = strict_build
    line = one_line_error(done)
    assert line == (f"error: --strict: {MARCH.format(rules=input_dir / 'allocation.yml')}; "
                    "nothing was published"), line
    # A first build of the warehouse: nothing published, and its working copy removed.
    assert not warehouse.exists()
    assert not (warehouse.parent / f".{warehouse.name}.build").exists()


def test_a_build_under_its_limit_prints_no_gate_warning(generated_build: BuiltInput) -> None:
    stdout = generated_build.build.stdout
    assert "Built " in stdout
    assert "unattributed cost is" not in stdout, stdout


def test_the_default_limit_is_the_project_s_and_a_change_is_named(tmp_path: Path) -> None:
    assert default_rules().max_unattributed_share == project_vars()["cpc_max_unattributed_share"] == 0.05
    plain, tighter = tmp_path / "plain.yml", tmp_path / "tighter.yml"
    plain.write_text(RULES)
    tighter.write_text("max_unattributed_share: 0.01\n" + RULES)
    assert load_rules(tighter).max_unattributed_share == 0.01
    assert diff_rules(load_rules(plain), load_rules(tighter)) == ["max_unattributed_share changed: 0.05 -> 0.01"]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("1.5", "max_unattributed_share must be between 0 and 1 (a share of the bill: 0.05 is 5 %), got 1.5"),
        ("-0.01", "max_unattributed_share must be between 0 and 1 (a share of the bill: 0.05 is 5 %), got -0.01"),
        ("5%", "max_unattributed_share must be a number from 0 to 1, not '5%'"),
        ("yes", "max_unattributed_share must be a number from 0 to 1, not true/false"),
        (".nan", "max_unattributed_share must be a number from 0 to 1, not 'nan'"),
    ],
)
def test_a_bad_limit_fails_with_one_line_naming_the_file(tmp_path: Path, setting: str, expected: str) -> None:
    path = tmp_path / "allocation.yml"
    path.write_text(f"max_unattributed_share: {setting}\n" + RULES)
    with pytest.raises(UserError) as caught:
        load_rules(path)
    assert str(caught.value) == f"{path}: {expected}"


def test_cpc_build_names_a_bad_limit_before_landing(tmp_path: Path) -> None:
    input_dir = tmp_path / "input"
    shutil.copytree(GATE_INPUT, input_dir)
    (input_dir / "allocation.yml").write_text("max_unattributed_share: 5\n" + RULES)
    warehouse = tmp_path / "warehouse.duckdb"
    done = run_cpc("build", "--input", str(input_dir), "--warehouse", str(warehouse), "--strict")
    assert one_line_error(done, input_dir / "allocation.yml").endswith("got 5")
    assert not warehouse.exists()

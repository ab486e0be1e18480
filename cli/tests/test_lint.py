"""The style gate: sqlfluff (configured in .sqlfluff) finds nothing in models/ and tests/, ruff nothing in
the Python.

`make lint` and the pre-commit hook run the same lint; this test makes CI (`make test`) enforce it.
"""

from __future__ import annotations

import json
import subprocess
import sys

from cpc import PROJECT_DIR


def _linted_sql_files() -> set[str]:
    """What the lint must cover: every model and every singular test (tests/generic is ignored)."""
    models = PROJECT_DIR.glob("models/**/*.sql")
    singular_tests = PROJECT_DIR.glob("tests/*.sql")
    return {path.relative_to(PROJECT_DIR).as_posix() for path in [*models, *singular_tests]}


def test_models_and_singular_tests_pass_sqlfluff() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", "models", "tests", "--format", "json"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 1), f"sqlfluff did not run:\n{done.stderr[-3000:]}"
    results = json.loads(done.stdout)

    # Every file was templated and linted (a file sqlfluff skipped would not be listed).
    assert {result["filepath"] for result in results} == _linted_sql_files()

    problems = [
        f"{result['filepath']}:{violation['start_line_no']}:{violation['start_line_pos']}: "
        f"{violation['code']} {violation['description']}"
        for result in results
        for violation in result["violations"]
    ]
    assert not problems, (
        "sqlfluff found problems (run `make lint`; `.venv/bin/sqlfluff fix FILE` fixes most):\n"
        + "\n".join(problems)
    )


def test_python_passes_ruff() -> None:
    """The Python half of `make lint`: ruff (configured in pyproject.toml) finds nothing."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "cli", ".sqlfluff_libs"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"ruff found problems (run `make lint`):\n{done.stdout[-3000:]}{done.stderr[-1000:]}"


def test_a_model_states_its_valid_rows_in_one_test() -> None:
    """docs/naming.md: what makes a row valid (key, required columns, accepted values, bounds, the
    values another model must hold) sits in the model's valid_rows test, not in a test per column
    and check: every data test is a node of every build, with dbt's overhead per node. Only a
    second key may be left on its column."""
    import yaml

    row_checks = {"not_null", "accepted_values", "not_negative", "between", "required_when", "unique",
                  "not_null_columns", "unique_combination", "relationships"}
    spread = []
    for path in sorted(PROJECT_DIR.glob("models/**/*.yml")) + sorted(PROJECT_DIR.glob("seeds/*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        tables = [*(document.get("models") or []), *(document.get("seeds") or []),
                  *(table for source in document.get("sources") or [] for table in source.get("tables") or [])]
        for table in tables:
            tests = [*(table.get("data_tests") or []),
                     *(test for column in table.get("columns") or [] for test in column.get("data_tests") or [])]
            names = [test if isinstance(test, str) else next(iter(test)) for test in tests]
            valid_rows = names.count("valid_rows")
            folded = [name for name in names if name in row_checks]
            # A second key may stay a plain unique (staging's charge_id next to the file and row).
            if folded not in ([], ["unique"]) or (folded and not valid_rows):
                spread.append(f"{path.relative_to(PROJECT_DIR)}: {table['name']} {folded}")
    assert spread == [], "state these in the model's valid_rows test:\n" + "\n".join(spread)

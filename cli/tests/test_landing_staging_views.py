"""Every staging model is a view on both engines, so each one's compiled SQL must fit in the text
Spark's embedded (Derby) Hive metastore keeps for a view: 32,700 characters.

The project is compiled for the Spark target (no Spark session is needed to compile) and each
compiled staging model is measured, base models (models/staging/<source>/base/) included.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from cpc import PROJECT_DIR

#: The longest view text (characters) the embedded Hive metastore stores.
SPARK_VIEW_TEXT_LIMIT = 32_700


def _compile(target: str, tmp_path: Path) -> dict[str, int]:
    """Compile the staging models for `target`: {model file name: characters of compiled SQL}."""
    target_path = tmp_path / "target"
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")), "compile",
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR / "profiles"),
            "--target", target, "--target-path", str(target_path), "--log-path", str(tmp_path / "logs"),
            "--no-populate-cache", "--no-introspect", "--select", "path:models/staging", "--quiet",
        ],
        capture_output=True, text=True, timeout=600, check=False, cwd=PROJECT_DIR,
        env={"CPC_WAREHOUSE": str(tmp_path / "unused.duckdb"), "PATH": str(Path(sys.executable).parent),
             "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    compiled = target_path / "compiled" / "cost_per_customer" / "models" / "staging"
    # Tests compile under a folder named for their YAML file (.../_aws__models.yml/...): not models.
    return {
        path.name: len(path.read_text())
        for path in sorted(compiled.rglob("*.sql"))
        if not any(part.endswith(".yml") for part in path.relative_to(compiled).parts)
    }


def test_every_staging_model_compiled_for_spark_fits_a_view(tmp_path: Path) -> None:
    sizes = _compile("spark", tmp_path)
    models = {path.name for path in (PROJECT_DIR / "models" / "staging").rglob("*.sql")}
    assert set(sizes) == models
    too_long = {name: size for name, size in sizes.items() if size >= SPARK_VIEW_TEXT_LIMIT}
    assert too_long == {}, f"compiled for Spark, longer than a view's text may be: {too_long}"


def test_staging_is_materialized_as_views_on_every_engine() -> None:
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    assert project["models"]["cost_per_customer"]["staging"]["+materialized"] == "view"
    for path in (PROJECT_DIR / "models" / "staging").rglob("*.sql"):
        assert "materialized" not in path.read_text(), f"{path.name} overrides the staging materialization"

"""`cpc docs`: dbt's documentation site of a built DuckDB warehouse, as one static page.

`dbt docs generate --static` writes ``static_index.html``: the docs site with the manifest (models,
columns, tests, exposures, semantic models, metrics, the lineage graph) and the catalog (the
warehouse's tables and column types) inside it, so it opens from disk without a server or a
network. dbt reads the warehouse through a read-only connection, so readers and a build of it are
not disturbed.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from cpc import PROJECT_DIR
from cpc.errors import UserError

#: What the page must not load from elsewhere to open offline (a script, a stylesheet, a font).
REMOTE_ASSET = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""", re.IGNORECASE)


@dataclass
class DocsResult:
    index: Path
    rules_source: str
    models: int
    exposures: int
    semantic_models: int
    metrics: int
    seconds: float


def _read_only_profiles(folder: Path, warehouse: Path) -> None:
    """A profiles.yml in ``folder``: the project's duckdb target on ``warehouse``, opened read-only."""
    profiles = yaml.safe_load((PROJECT_DIR / "profiles" / "profiles.yml").read_text())
    output = dict(profiles["cost_per_customer"]["outputs"]["duckdb"])
    output["path"] = str(warehouse)
    output["config_options"] = {**output.get("config_options", {}), "access_mode": "READ_ONLY"}
    profile = {"cost_per_customer": {"target": "duckdb", "outputs": {"duckdb": output}}}
    (folder / "profiles.yml").write_text(yaml.safe_dump(profile))


def _build_rules(warehouse: Path) -> tuple[dict | None, str]:
    """The dbt vars of the rules the warehouse was last built with (its cpc_build.json names the
    file), so the compiled SQL in the docs is the SQL that built it; the defaults otherwise."""
    from cpc import rules
    from cpc.build import dbt_paths

    target_path, _ = dbt_paths(warehouse, "duckdb")
    record = target_path / "cpc_build.json"
    source = None
    if record.is_file():
        try:
            source = json.loads(record.read_text()).get("rules_source")
        except (OSError, ValueError):
            source = None
    if source and source != "default" and Path(source).is_file():
        return rules.load_rules(Path(source), dialect="duckdb").to_dbt_vars(), source
    return rules.load_rules(None, dialect="duckdb").to_dbt_vars(), "the default rules"


def _check_out(out: Path) -> Path:
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: is a file, not a folder; give a folder for the docs site")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UserError(f"{out}: cannot create the folder ({reason}); choose another --out") from exc
    return out


def generate(warehouse: Path, out: Path, say: Callable[[str], None] = lambda _line: None) -> DocsResult:
    """Write OUT/index.html, dbt's docs site of the warehouse as one self-contained page."""
    import time

    from dbt.cli.main import dbtRunner

    from cpc.warehouse import open_duckdb_reader

    started = time.perf_counter()
    path = warehouse.expanduser().resolve()
    # Refuses a missing file, a folder, a file that is not DuckDB, and an unfinished build.
    with open_duckdb_reader(path, say=say):
        pass
    out = _check_out(out)
    dbt_vars, rules_source = _build_rules(path)
    with tempfile.TemporaryDirectory(prefix="cpc-docs-") as scratch:
        folder = Path(scratch)
        _read_only_profiles(folder, path)
        command = [
            "--quiet", "docs", "generate", "--static",
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(folder), "--target", "duckdb",
            "--target-path", str(folder / "target"), "--log-path", str(folder / "logs"),
            "--vars", json.dumps(dbt_vars),
        ]
        result = dbtRunner().invoke(command)
        page = folder / "target" / "static_index.html"
        if not result.success or not page.is_file():
            text = " ".join(str(result.exception or "dbt docs generate failed").split())
            raise UserError(f"{path}: dbt docs generate failed: {text[:300]}")
        html = page.read_text(encoding="utf-8")
        manifest = json.loads((folder / "target" / "manifest.json").read_text())
    if REMOTE_ASSET.search(html):
        raise UserError(f"{path}: the docs page dbt wrote loads assets from the network; "
                        "it would not open offline")
    index = out / "index.html"
    partial = out / ".index.html.partial"
    partial.write_text(html, encoding="utf-8")
    shutil.move(partial, index)
    models = sum(1 for node in manifest["nodes"].values() if node["resource_type"] == "model")
    return DocsResult(index, rules_source, models, len(manifest["exposures"]),
                      len(manifest["semantic_models"]), len(manifest["metrics"]),
                      time.perf_counter() - started)

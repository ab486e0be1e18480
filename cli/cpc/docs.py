"""`cpc docs`: dbt's documentation site of a built DuckDB warehouse, as one static page.

`dbt docs generate --static` writes ``static_index.html``: the docs site with the manifest (models,
columns, tests, exposures, semantic models, metrics, the lineage graph) and the catalog (the
warehouse's tables and column types) inside it, so it opens from disk without a server or a
network. dbt reads the warehouse through a read-only connection, so readers and a build of it are
not disturbed. The page of a warehouse built with ``privacy: {pseudonymize_customers: true}``
shows pseudonyms in place of customer ids and names (:mod:`cpc.privacy`).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import yaml

from cpc import PROJECT_DIR, privacy
from cpc.errors import UserError

#: What the page must not load from elsewhere to open offline (a script, a stylesheet, a font).
REMOTE_ASSET = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""", re.IGNORECASE)


#: Ids and names this long or longer are checked for after the replacement (a shorter one, such
#: as an id "7", is a word of many other texts; the replacement covers it as a whole word).
MIN_CHECKED = 4


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


def _pseudonymized_page(target: Path, pseudonyms: privacy.Pseudonyms, warehouse: Path) -> str:
    """The static page as `dbt docs generate --static` makes it (dbt's page with manifest.json
    and catalog.json pasted in), from the two files with every customer id and name replaced by
    its pseudonym: they reach the manifest through the rules compiled into the SQL, e.g. a fixed
    share naming a customer. dbt's own script is left as it is. Refuses (UserError) a page whose
    data still hold an id or name in an escaped spelling the replacement does not see."""
    from dbt.task.docs import DOCS_INDEX_FILE_PATH

    data = {name: pseudonyms.text((target / name).read_text(encoding="utf-8").strip())
            for name in ("manifest.json", "catalog.json")}
    folded = "\n".join(data.values()).casefold()
    for needle in pseudonyms.needles:
        spellings = {json.dumps(needle)[1:-1], json.dumps(needle, ensure_ascii=False)[1:-1],
                     escape(needle, quote=True)}
        if len(needle) >= MIN_CHECKED and any(spelling.casefold() in folded for spelling in spellings):
            raise UserError(f"{warehouse}: the docs page would show a customer id or name that "
                            "cannot be replaced by its pseudonym; nothing was written")
    page = Path(DOCS_INDEX_FILE_PATH).read_text(encoding="utf-8").strip()
    page = page.replace('"MANIFEST.JSON INLINE DATA"', data["manifest.json"])
    return page.replace('"CATALOG.JSON INLINE DATA"', data["catalog.json"])


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
    with open_duckdb_reader(path, say=say) as con:
        pseudonyms = privacy.load_duckdb(con)
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
        if pseudonyms is not None:
            html = _pseudonymized_page(folder / "target", pseudonyms, path)
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

"""GX Data Docs that open offline.

GX's pages load Bootstrap, jQuery, bootstrap-table, Vega and Font Awesome from CDNs, and its
index page draws its table with those scripts (offline it is empty). After GX writes the site,
every remote script and stylesheet is removed from its pages (their content is static HTML; a
small inline stylesheet keeps them readable, collapsed sections shown), a remote logo is pointed
at the copy GX writes into static/images, and index.html is replaced by a self-contained summary
of this run linking each suite's GX validation page.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from cpc.errors import UserError

if TYPE_CHECKING:
    from cpc.validate.run import Outcome

#: The GX data docs site name.
SITE = "cpc"
#: A folder holding this file was written by cpc validate, and may be rewritten by it.
MARKER = ".cpc-validation-docs"
_GENERATED = ("validations", "expectations", "static", "index.html")

_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[\"']https?://[^\"']*[\"'][^>]*>\s*</script>",
                            re.IGNORECASE)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^\"']*[\"'][^>]*>", re.IGNORECASE)
_REMOTE_IMAGE = re.compile(r"(<img\b[^>]*\bsrc=[\"'])https?://[^\"']*/([^/\"']+)([\"'])",
                           re.IGNORECASE)
_REMOTE_URL = re.compile(r"url\(\s*[\"']?https?://[^)]*\)", re.IGNORECASE)
_OFFLINE_STYLE = """<style>
body { font-family: system-ui, sans-serif; margin: 1rem 2rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0; }
td, th { border: 1px solid #ccc; padding: .2rem .5rem; vertical-align: top; text-align: left; }
.collapse, .tab-pane { display: block !important; }
.navbar-toggler, .ge-index-page-table-validation-links-item { display: none; }
img { max-height: 2.5rem; }
</style>
"""


def check(docs_dir: Path) -> None:
    """Refuse (one-line UserError) a Data Docs folder cpc may not write: a file, or a folder
    holding files an earlier run of cpc validate did not write."""
    if docs_dir.exists() and not docs_dir.is_dir():
        raise UserError(f"--docs {docs_dir}: is a file; give a folder for the Data Docs")
    if docs_dir.is_dir() and any(docs_dir.iterdir()) and not (docs_dir / MARKER).is_file():
        raise UserError(f"--docs {docs_dir}: the folder holds other files; give a new or "
                        "empty folder (cpc validate rewrites its folder on each run)")


def prepare(docs_dir: Path) -> None:
    """Make ``docs_dir`` ready for this run's docs: new, empty, or written by an earlier run
    (whose pages are removed). Any other folder is refused, so nothing else is deleted."""
    check(docs_dir)
    if docs_dir.is_dir():
        for name in _GENERATED:
            path = docs_dir / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    try:
        docs_dir.mkdir(parents=True, exist_ok=True)
        (docs_dir / MARKER).write_text("Data Docs written by cpc validate; rewritten on each run.\n",
                                       encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--docs {docs_dir}: cannot write the Data Docs there "
                        f"({exc.strerror or type(exc).__name__})") from exc


def _offline(page: str, static_images: str) -> str:
    """One GX page without its remote scripts, stylesheets and images."""
    page = _REMOTE_SCRIPT.sub("", page)
    page = _REMOTE_LINK.sub("", page)
    page = _REMOTE_URL.sub("none", page)  # a remote background image (GX's dark-mode logo)
    page = _REMOTE_IMAGE.sub(lambda match: f"{match.group(1)}{static_images}{match.group(2)}"
                             f"{match.group(3)}", page)
    return page.replace("</head>", _OFFLINE_STYLE + "</head>", 1)


def _validation_pages(docs_dir: Path) -> dict[str, str]:
    """Each suite's GX validation page, relative to docs_dir."""
    pages = {}
    root = docs_dir / "validations"
    for page in sorted(root.rglob("*.html")) if root.is_dir() else []:
        parts = page.relative_to(root).parts  # <suite parts...>/<run>/<time>/<batch>.html
        pages[".".join(parts[:-3])] = page.relative_to(docs_dir).as_posix()
    return pages


def finish(docs_dir: Path, outcome: Outcome) -> Path:
    """Make GX's pages and stylesheets offline and write index.html, the run's summary;
    returns its path."""
    for page in docs_dir.rglob("*.html"):
        depth = len(page.relative_to(docs_dir).parts) - 1
        text = page.read_text(encoding="utf-8")
        page.write_text(_offline(text, "../" * depth + "static/images/"), encoding="utf-8")
    for sheet in docs_dir.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8")
        sheet.write_text(_REMOTE_URL.sub("none", text), encoding="utf-8")
    pages = _validation_pages(docs_dir)
    index = docs_dir / "index.html"
    index.write_text(_index(outcome, pages), encoding="utf-8")
    return index


def _index(outcome: Outcome, pages: dict[str, str]) -> str:
    failed = outcome.failures
    critical = outcome.critical
    headline = (f"{len(critical)} critical and {len(failed) - len(critical)} warning "
                f"expectation(s) failed of {outcome.expectations}" if failed
                else f"all {outcome.expectations} expectations passed")
    rows = []
    for result in sorted(outcome.results, key=lambda r: (r.success, not r.critical, r.suite)):
        status = "passed" if result.success else ("FAILED" if result.critical else "warning")
        suite = html.escape(result.suite)
        link = (f'<a href="{html.escape(pages[result.suite])}">{suite}</a>'
                if result.suite in pages else suite)
        sample = "<br>".join(html.escape(row) for row in result.sample_text(5))
        rows.append(
            f'<tr class="{status.lower()}"><td>{status}</td>'
            f'<td>{"critical" if result.critical else "warning"}</td><td>{link}</td>'
            f"<td>{html.escape(result.table)}</td><td>{html.escape(result.column)}</td>"
            f"<td>{html.escape(result.says)}</td><td>{result.unexpected} of {result.rows}</td>"
            f"<td>{sample}</td></tr>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cpc validate</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1rem 2rem; color: #222; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: .25rem .5rem; vertical-align: top; text-align: left; }}
tr.failed td:first-child {{ background: #f8d7da; font-weight: bold; }}
tr.warning td:first-child {{ background: #fff3cd; }}
tr.passed td:first-child {{ background: #d4edda; }}
</style></head>
<body>
<h1>Validation of the warehouse</h1>
<p>{html.escape(headline)}. Each suite links its Great Expectations validation page (the
expectations, their settings and up to 20 failing rows).</p>
<table>
<tr><th>status</th><th>level</th><th>suite</th><th>table</th><th>column</th><th>expected</th>
<th>rows failing</th><th>sample of failing rows</th></tr>
{chr(10).join(rows)}
</table>
</body></html>
"""

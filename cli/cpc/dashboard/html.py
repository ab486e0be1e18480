"""The pieces of a dashboard page: one self-contained HTML file with its styles, inline SVG
charts and a few lines of script, so that it opens from ``file://`` with no network."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from html import escape
from typing import Any

from cpc.dashboard import charts

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d1d1f; background: #fafafa; }
header { background: #15324f; color: #fff; padding: 14px 28px; }
header a { color: #cfe3ff; margin-right: 18px; text-decoration: none; }
header h1 { margin: 6px 0 0; font-size: 22px; }
main { padding: 8px 28px 40px; max-width: 1100px; }
section { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 12px 18px;
          margin: 16px 0; }
h2 { font-size: 17px; margin: 4px 0 10px; }
p.note { color: #555; font-size: 13px; margin: 4px 0 10px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }
td { white-space: nowrap; }
td.long { white-space: normal; max-width: 260px; overflow-wrap: anywhere; }
section { overflow-x: auto; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; }
.kpi { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 10px 16px;
       min-width: 150px; }
.kpi .value { font-size: 20px; font-weight: 600; }
.kpi .label { font-size: 12px; color: #555; }
.legend { font-size: 12px; margin: 4px 0 0 84px; }
.key { margin-right: 14px; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
.views button { font: inherit; font-size: 12px; margin: 0 4px 8px 0; padding: 2px 10px;
                border: 1px solid #9bb; border-radius: 4px; background: #fff; cursor: pointer; }
.views button.on { background: #15324f; color: #fff; }
.bad { color: #C0392B; } .good { color: #1E8449; }
figure.chart { margin: 0; }
"""

#: Shows one view of a group (its button pressed) and hides the others.
SCRIPT = """
document.querySelectorAll('.views').forEach(function (group) {
  var buttons = group.querySelectorAll('button[data-view]');
  buttons.forEach(function (button) {
    button.addEventListener('click', function () {
      buttons.forEach(function (other) {
        other.classList.toggle('on', other === button);
        document.getElementById(other.dataset.view).hidden = other !== button;
      });
    });
  });
});
"""


def _cell(value: Any, kind: str = "text") -> str:
    if kind == "money":
        return f'<td class="num">{escape(charts.money(value))}</td>'
    if kind == "percent":
        return f'<td class="num">{escape(charts.percent(value))}</td>'
    if kind == "change":
        css = "bad" if (value or 0) > 0 else "good" if (value or 0) < 0 else ""
        text = "" if value is None else ("+" if value > 0 else "") + charts.money(value)
        return f'<td class="num {css}">{escape(text)}</td>'
    if kind == "number":
        text = "" if value is None else f"{value:,.4f}".rstrip("0").rstrip(".")
        return f'<td class="num">{escape(text)}</td>'
    if kind == "int":
        return f'<td class="num">{"" if value is None else f"{value:,}"}</td>'
    css = ' class="long"' if kind == "long" else ""
    return f"<td{css}>{escape('' if value is None else str(value))}</td>"


def table(table_id: str, columns: Sequence[tuple[str, str, str]], rows: Sequence[dict[str, Any]],
          link: Callable[[dict[str, Any]], str | None] | None = None) -> str:
    """An HTML table; columns are (heading, key, kind), kind one of text, long (text that may
    break anywhere: ids), money, percent, change, number, int. ``link`` may turn a row's customer_id cell (else its first) into a link."""
    head = "".join(f'<th class="{"" if kind in ("text", "long") else "num"}">{escape(heading)}</th>'
                   for heading, _, kind in columns)
    body = []
    for row in rows:
        cells = [_cell(row.get(key), kind) for _, key, kind in columns]
        target = link(row) if link else None
        if target:
            keys = [key for _, key, _ in columns]
            at = keys.index("customer_id") if "customer_id" in keys else 0
            cells[at] = f'<td><a href="{escape(target)}">{escape(str(row.get(keys[at])))}</a></td>'
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not rows:
        body.append(f'<tr><td colspan="{len(columns)}">(none)</td></tr>')
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def figure(chart_id: str, title: str, svg: str) -> str:
    return f'<figure class="chart" id="{chart_id}"><figcaption class="note">{escape(title)}</figcaption>{svg}</figure>'


def views(group_id: str, choices: Sequence[tuple[str, str]]) -> str:
    """Buttons and panels: choices are (label, html) pairs; the last one shows first."""
    buttons, panels = [], []
    for index, (label, body) in enumerate(choices):
        view_id = f"{group_id}-{index}"
        last = index == len(choices) - 1
        buttons.append(f'<button type="button" data-view="{view_id}"{" class=on" if last else ""}>'
                       f"{escape(label)}</button>")
        panels.append(f'<div class="view" id="{view_id}"{"" if last else " hidden"}>{body}</div>')
    return f'<div class="views" id="{group_id}">{"".join(buttons)}{"".join(panels)}</div>'


def page(title: str, body: str, prefix: str = "") -> str:
    """A whole self-contained page; ``prefix`` leads relative links back to the site's root."""
    nav = "".join(f'<a href="{prefix}{href}">{escape(name)}</a>' for name, href in (
        ("Index", "index.html"), ("Executive", "executive.html"), ("On-call", "on-call.html")))
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title>"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<style>{STYLE}</style></head><body>"
        f"<header><nav>{nav}</nav><h1>{escape(title)}</h1></header><main>{body}"
        f'<p class="note">Written by cpc dashboard at {made} from the marts of the warehouse.</p>'
        f"</main><script>{SCRIPT}</script></body></html>\n"
    )


def kpis(items: Sequence[tuple[str, str, str]]) -> str:
    return '<div class="kpis">' + "".join(
        f'<div class="kpi" id="kpi-{key}"><div class="value">{escape(value)}</div>'
        f'<div class="label">{escape(label)}</div></div>' for key, label, value in items) + "</div>"


def day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def month(value: Any) -> str:
    return day(value)[:7]

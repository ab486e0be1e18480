"""`cpc dashboard`: the executive, on-call and debug dashboards as a static site.

Every page is one self-contained HTML file (styles, charts as inline SVG and a few lines of
script inside it), so it opens from ``file://`` with no network. The figures are the marts'
(customer_costs_daily, customer_costs_monthly, unattributed_costs_*, customer_statements_monthly,
customer_charge_costs_monthly, customer_cost_explanations, customers, and
customer_cost_anomalies when the warehouse has it), summed and ranked by the queries of queries.py;
Python only picks the rows and formats them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cpc.dashboard.pages import (
    customer_links,
    customer_page_name,
    debug,
    executive,
    index_page,
    on_call,
)
from cpc.dashboard.queries import ANOMALIES, CUSTOMER_SQL, TOP_CUSTOMERS_SQL, TOTALS_SQL
from cpc.errors import UserError
from cpc.warehouse import Query

__all__ = ["ANOMALIES", "DEFAULT_UNATTRIBUTED_GOAL", "Site", "unattributed_goal", "write"]

#: The unattributed share of the bill the practice aims to stay under, when the warehouse's last
#: build does not record its own (allocation.yml max_unattributed_share).
DEFAULT_UNATTRIBUTED_GOAL = 0.05


@dataclass
class Site:
    """What `cpc dashboard` wrote."""

    out: Path
    pages: list[Path] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    anomalies_source: str = ""

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def unattributed_goal(warehouse: Path) -> tuple[float, str]:
    """The unattributed-share goal of the warehouse's last build (its rules'
    max_unattributed_share), else the practice's 5 %; and where it came from."""
    from cpc.build import dbt_paths

    target, _ = dbt_paths(warehouse, "duckdb")
    summary = target / "cpc_build.json"
    try:
        gate = json.loads(summary.read_text()).get("unattributed_gate") or {}
        if gate.get("max_unattributed_share") is not None:
            return float(gate["max_unattributed_share"]), "the rules of the last build"
    except (OSError, ValueError):
        pass
    return DEFAULT_UNATTRIBUTED_GOAL, "the default"


def write(query: Query, out: Path, warehouse: Path, top: int = 10,
          customers: Sequence[str] = ()) -> Site:
    """Write the site into ``out``: index.html, executive.html, on-call.html and
    customers/<id>.html for the ``top`` customers by cost and each of ``customers``."""
    if top < 0:
        raise UserError(f"--top: {top} is negative")
    for customer_id in customers:
        if not query(CUSTOMER_SQL, {"customer": customer_id}):
            raise UserError(f"--customer: '{customer_id}' is not in customers (customers.csv)")
    chosen = [row["customer_id"] for row in query(TOP_CUSTOMERS_SQL.format(limit=int(top)))]
    for customer_id in customers:
        if customer_id not in chosen:
            chosen.append(customer_id)
    linker = customer_links(chosen)
    goal, goal_source = unattributed_goal(warehouse)
    pages = {"executive.html": executive(query, goal, goal_source, linker)}
    pages["on-call.html"], spikes_source = on_call(query, linker)
    details = []
    totals = query(TOTALS_SQL)[0]
    currency = totals["currency"] or ""
    for customer_id in chosen:
        pages[customer_page_name(customer_id)] = debug(query, customer_id, currency)
        details.append(query(CUSTOMER_SQL, {"customer": customer_id})[0])
    pages["index.html"] = index_page(details, spikes_source, totals)
    try:
        (out / "customers").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out: {out}: cannot write there ({exc.strerror})") from exc
    site = Site(out=out, customers=chosen, anomalies_source=spikes_source)
    for name, html in pages.items():
        path = out / name
        path.write_text(html, encoding="utf-8")
        site.pages.append(path)
    # A customer page of an earlier run that this one did not write would show old figures.
    for stale in set((out / "customers").glob("*.html")) - set(site.pages):
        stale.unlink()
    return site

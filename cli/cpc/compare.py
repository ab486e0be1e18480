"""`cpc rules diff OLD NEW --input DIR`: what a change of allocation rules would move.

Builds the input once with each rules file (two temporary DuckDB warehouses) and compares the
results customer by customer and month by month, plus the unattributed cost by reason.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cpc import build as builder
from cpc import rules
from cpc.warehouse import open_warehouse


@dataclass
class RulesDiff:
    """The rule-level changes and the cost that moves between the two rule sets."""

    rule_changes: list[str]
    moves: list[dict[str, object]] = field(default_factory=list)
    unattributed: list[dict[str, object]] = field(default_factory=list)


def _customer_months(warehouse: Path) -> dict[tuple[str, str, str], Decimal]:
    with open_warehouse(warehouse) as query:
        rows = query("select customer_id, cast(month as varchar) as month, currency, total_cost"
                     " from marts.customer_costs_monthly")
    return {(row["customer_id"], row["month"][:7], row["currency"]): Decimal(row["total_cost"]) for row in rows}


def _unattributed(warehouse: Path) -> dict[tuple[str, str, str], Decimal]:
    with open_warehouse(warehouse) as query:
        rows = query("select coalesce(cast(month as varchar), 'undated') as month, reason, currency,"
                     " unattributed_cost from marts.unattributed_costs_monthly")
    return {(row["month"][:7], row["reason"], row["currency"]): Decimal(row["unattributed_cost"]) for row in rows}


def _changes(old: dict, new: dict) -> list[tuple[tuple, Decimal, Decimal]]:
    keys = sorted(set(old) | set(new))
    changed = [(key, old.get(key, Decimal(0)), new.get(key, Decimal(0))) for key in keys]
    return sorted((item for item in changed if item[1] != item[2]), key=lambda item: -abs(item[2] - item[1]))


def diff(old_rules: Path, new_rules: Path, input_dir: Path) -> RulesDiff:
    """Build ``input_dir`` with both rule files and compare the marts."""
    result = RulesDiff(rule_changes=rules.diff_rules(rules.load_rules(old_rules), rules.load_rules(new_rules)))
    with tempfile.TemporaryDirectory(prefix="cpc-rules-diff-") as scratch:
        before, after = Path(scratch) / "old.duckdb", Path(scratch) / "new.duckdb"
        builder.build(input_dir, before, rules_path=old_rules, quiet=True, say=lambda _line: None)
        builder.build(input_dir, after, rules_path=new_rules, quiet=True, say=lambda _line: None)
        for (customer, month, currency), old, new in _changes(_customer_months(before), _customer_months(after)):
            result.moves.append({"customer_id": customer, "month": month, "currency": currency,
                                 "old_cost": old, "new_cost": new, "change": new - old})
        for (month, reason, currency), old, new in _changes(_unattributed(before), _unattributed(after)):
            result.unattributed.append({"month": month, "reason": reason, "currency": currency,
                                        "old_cost": old, "new_cost": new, "change": new - old})
    return result


def render(result: RulesDiff, console: Console, top: int = 20) -> None:
    """Print the rule changes and the largest moves."""
    console.rule("[bold]Rules")
    for line in result.rule_changes or ["no rule changed"]:
        console.print(line, highlight=False)
    table = Table(title=f"What moves, per customer and month (largest {top} of {len(result.moves)})",
                  title_justify="left")
    for heading in ("customer", "month", "before", "after", "change"):
        table.add_column(heading, justify="left" if heading in ("customer", "month") else "right")
    for move in result.moves[:top]:
        table.add_row(str(move["customer_id"]), str(move["month"]), f"{move['old_cost']:,.2f}",
                      f"{move['new_cost']:,.2f}", f"{move['change']:+,.2f}")
    console.print(table)
    if result.unattributed:
        table = Table(title="Unattributed cost that changes", title_justify="left")
        for heading in ("month", "reason", "before", "after", "change"):
            table.add_column(heading, justify="left" if heading in ("month", "reason") else "right")
        for row in result.unattributed:
            table.add_row(str(row["month"]), str(row["reason"]), f"{row['old_cost']:,.2f}",
                          f"{row['new_cost']:,.2f}", f"{row['change']:+,.2f}")
        console.print(table)

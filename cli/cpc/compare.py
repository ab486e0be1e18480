"""Comparing two built warehouses: `cpc diff --base W1 --head W2` and `cpc rules diff OLD NEW`.

:func:`compare_warehouses` reads the marts of two DuckDB warehouses and says what cost moved: per
segment and month, per customer, per customer and month, and the unattributed cost (its share of
each month's bill, and by reason), plus which data tests changed outcome when both builds recorded
them. `cpc diff` compares two warehouses built from the same input by two revisions of the
project; `cpc rules diff` builds one input with two rule files and compares the results. Both
print through :func:`sections` and :func:`render` (text, markdown or JSON). Amounts are the marts'
decimals, never floats.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cpc import build as builder
from cpc import rules
from cpc.errors import UserError
from cpc.warehouse import open_warehouse

FORMATS = ("text", "markdown", "json")
ZERO = Decimal(0)
#: Shares are shown to a hundredth of a percent.
SHARE_PLACES = Decimal("0.0001")


@dataclass
class TestOutcomes:
    """Which data tests changed outcome between the builds, when both recorded their outcomes."""

    #: Where the outcomes were read, or why they could not be.
    source: str
    recorded: bool = False
    #: How many tests either build ran.
    compared: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class WarehouseDiff:
    """What moved between a base and a head warehouse (rows that did not change are left out,
    but for the unattributed share, which has every month)."""

    base: str
    head: str
    segments: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    customer_months: list[dict[str, Any]] = field(default_factory=list)
    unattributed_share: list[dict[str, Any]] = field(default_factory=list)
    unattributed: list[dict[str, Any]] = field(default_factory=list)
    tests: TestOutcomes | None = None


@dataclass
class RulesDiff:
    """The rule-level changes and the cost that moves between the two rule sets."""

    rule_changes: list[str]
    moved: WarehouseDiff | None = None


# --- reading the marts -------------------------------------------------------------------------


@dataclass
class _Marts:
    customer_months: dict[tuple[str, str, str], Decimal]
    segments_of: dict[str, str]
    segment_months: dict[tuple[str, str, str], Decimal]
    unattributed: dict[tuple[str, str, str], Decimal]


def _month(value: Any) -> str:
    return str(value)[:7] if value is not None else "undated"


def _read_marts(warehouse: Path) -> _Marts:
    with open_warehouse(warehouse) as query:
        customers = query("select customer_id, segment, month, currency, total_cost"
                          " from marts.customer_costs_monthly")
        segments = query("select segment, month, currency, total_cost from marts.segment_costs_monthly")
        unattributed = query("select month, reason, currency, unattributed_cost"
                             " from marts.unattributed_costs_monthly")
    return _Marts(
        customer_months={(row["customer_id"], _month(row["month"]), row["currency"]): Decimal(row["total_cost"])
                         for row in customers},
        segments_of={row["customer_id"]: row["segment"] or "" for row in customers},
        segment_months={(row["segment"] or "", _month(row["month"]), row["currency"]): Decimal(row["total_cost"])
                        for row in segments},
        unattributed={(_month(row["month"]), row["reason"], row["currency"]): Decimal(row["unattributed_cost"])
                      for row in unattributed},
    )


def _changes(old: dict, new: dict) -> list[tuple[tuple, Decimal, Decimal]]:
    """(key, old, new) for every key whose amount differs, largest change first."""
    keys = sorted(set(old) | set(new))
    changed = [(key, old.get(key, ZERO), new.get(key, ZERO)) for key in keys]
    return sorted((item for item in changed if item[1] != item[2]), key=lambda item: -abs(item[2] - item[1]))


def _by_month(amounts: dict[tuple, Decimal], month_at: int, currency_at: int) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = {}
    for key, amount in amounts.items():
        month_key = (key[month_at], key[currency_at])
        totals[month_key] = totals.get(month_key, ZERO) + amount
    return totals


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole).quantize(SHARE_PLACES) if whole else None


def compare_warehouses(base: Path, head: Path, *, tests: bool = True) -> WarehouseDiff:
    """Compare the marts of two built DuckDB warehouses (one-line UserError when one is missing or
    not built); ``tests``: also compare the data test outcomes their builds recorded."""
    before, after = _read_marts(base), _read_marts(head)
    result = WarehouseDiff(base=str(base), head=str(head))
    for (segment, month, currency), old, new in _changes(before.segment_months, after.segment_months):
        result.segments.append({"segment": segment, "month": month, "currency": currency,
                                "old_cost": old, "new_cost": new, "change": new - old})
    per_customer: dict[tuple[str, str], dict[str, Any]] = {}
    for (customer, month, currency), old, new in _changes(before.customer_months, after.customer_months):
        segment = after.segments_of.get(customer, before.segments_of.get(customer, ""))
        result.customer_months.append({"customer_id": customer, "segment": segment, "month": month,
                                       "currency": currency, "old_cost": old, "new_cost": new,
                                       "change": new - old})
        total = per_customer.setdefault((customer, currency), {
            "customer_id": customer, "segment": segment, "currency": currency, "old_cost": ZERO,
            "new_cost": ZERO, "change": ZERO, "moved": ZERO, "months": 0})
        total["old_cost"] += old
        total["new_cost"] += new
        total["change"] += new - old
        total["moved"] += abs(new - old)
        total["months"] += 1
    result.customers = sorted(per_customer.values(), key=lambda row: (-row["moved"], row["customer_id"]))
    for (month, reason, currency), old, new in _changes(before.unattributed, after.unattributed):
        result.unattributed.append({"month": month, "reason": reason, "currency": currency,
                                    "old_cost": old, "new_cost": new, "change": new - old})
    old_open, new_open = _by_month(before.unattributed, 0, 2), _by_month(after.unattributed, 0, 2)
    old_placed, new_placed = _by_month(before.customer_months, 1, 2), _by_month(after.customer_months, 1, 2)
    for key in sorted(set(old_open) | set(new_open) | set(old_placed) | set(new_placed)):
        old_total = old_open.get(key, ZERO) + old_placed.get(key, ZERO)
        new_total = new_open.get(key, ZERO) + new_placed.get(key, ZERO)
        result.unattributed_share.append({
            "month": key[0], "currency": key[1],
            "old_unattributed": old_open.get(key, ZERO), "old_total": old_total,
            "old_share": _share(old_open.get(key, ZERO), old_total),
            "new_unattributed": new_open.get(key, ZERO), "new_total": new_total,
            "new_share": _share(new_open.get(key, ZERO), new_total),
        })
    if tests:
        result.tests = compare_test_outcomes(base, head)
    return result


# --- test outcomes recorded by the builds ------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    try:
        content = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: cannot be read as JSON ({exc})") from exc
    if not isinstance(content, dict):
        raise UserError(f"{path}: not a JSON object")
    return content


def _recorded_outcomes(warehouse: Path) -> tuple[dict[str, dict[str, Any]] | None, str]:
    """The data test outcomes a warehouse's build recorded beside it: cpc_build.json's
    ``test_outcomes``, else the run_results.json dbt wrote there (older builds)."""
    target_path, _ = builder.dbt_paths(warehouse.expanduser().resolve(), "duckdb")
    summary_path = target_path / "cpc_build.json"
    if summary_path.is_file():
        summary = _read_json(summary_path)
        if isinstance(summary.get("test_outcomes"), dict):
            return summary["test_outcomes"], str(summary_path)
    results_path = target_path / "run_results.json"
    if results_path.is_file():
        results = _read_json(results_path).get("results", [])
        return ({row["unique_id"]: {"status": row.get("status"), "failures": row.get("failures")}
                 for row in results if str(row.get("unique_id", "")).startswith("test.")},
                str(results_path))
    available = sorted(path.name for path in target_path.iterdir()) if target_path.is_dir() else []
    return None, (f"{target_path} has {', '.join(available)}" if available else f"{target_path} does not exist")


def compare_test_outcomes(base: Path, head: Path) -> TestOutcomes:
    """Tests whose status or failing-row count differs, and tests only one build ran."""
    old, old_source = _recorded_outcomes(base)
    new, new_source = _recorded_outcomes(head)
    if old is None or new is None:
        warehouse, where = (base, old_source) if old is None else (head, new_source)
        return TestOutcomes(source=f"not recorded for {warehouse} (neither cpc_build.json's test_outcomes "
                                   f"nor dbt's run_results.json): {where}")
    outcome = TestOutcomes(source=f"{old_source} and {new_source}", recorded=True)
    absent = {"status": "not run", "failures": None}
    outcome.compared = len(set(old) | set(new))
    for unique_id in sorted(set(old) | set(new)):
        before, after = old.get(unique_id, absent), new.get(unique_id, absent)
        if (before.get("status"), before.get("failures")) != (after.get("status"), after.get("failures")):
            outcome.changes.append({"test": unique_id.split(".")[2] if unique_id.count(".") >= 2 else unique_id,
                                    "unique_id": unique_id,
                                    "old_status": before.get("status"), "old_failures": before.get("failures"),
                                    "new_status": after.get("status"), "new_failures": after.get("failures")})
    return outcome


# --- cpc rules diff ----------------------------------------------------------------------------


def diff(old_rules: Path, new_rules: Path, input_dir: Path, keep: Path | None = None) -> RulesDiff:
    """Build ``input_dir`` with both rule files and compare the marts.

    The two warehouses are built in a temporary folder, or with ``keep`` in that folder (created if
    need be) as ``old.duckdb`` and ``new.duckdb``, and left there to explore."""
    result = RulesDiff(rule_changes=rules.diff_rules(rules.load_rules(old_rules), rules.load_rules(new_rules)))
    if keep is not None:
        try:
            keep.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{keep}: cannot create the folder for the warehouses ({exc.strerror or exc})") from None
    with nullcontext(str(keep)) if keep is not None else tempfile.TemporaryDirectory(prefix="cpc-rules-diff-") as scratch:
        before, after = Path(scratch) / "old.duckdb", Path(scratch) / "new.duckdb"
        builder.build(input_dir, before, rules_path=old_rules, quiet=True, say=lambda _line: None)
        builder.build(input_dir, after, rules_path=new_rules, quiet=True, say=lambda _line: None)
        result.moved = compare_warehouses(before, after, tests=False)
        result.moved.base, result.moved.head = str(old_rules), str(new_rules)
    return result


# --- formatting --------------------------------------------------------------------------------


@dataclass
class Section:
    """One heading of the output: prose lines and/or a table (columns from ``numeric_from`` on
    are amounts, aligned right)."""

    title: str
    lines: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    numeric_from: int = 0


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _signed(amount: Decimal) -> str:
    return f"{amount:+,.2f}"


def _percent(share: Decimal | None) -> str:
    return "" if share is None else f"{share * 100:.2f} %"


def _moves_table(rows: Iterable[dict[str, Any]], keys: list[str], headings: list[str]) -> tuple[list[str], list[list[str]]]:
    columns = [*headings, "before", "after", "change"]
    return columns, [[str(row[key]) for key in keys]
                     + [_money(row["old_cost"]), _money(row["new_cost"]), _signed(row["change"])] for row in rows]


def sections(moved: WarehouseDiff, *, top: int = 10, rule_changes: list[str] | None = None,
             customer_months: bool = False) -> list[Section]:
    """The report's sections, in order, shared by every format and both commands."""
    out: list[Section] = []
    if rule_changes is not None:
        out.append(Section("Rules", lines=rule_changes or ["no rule changed"]))
    if not moved.segments:
        out.append(Section("Cost moved per segment and month", lines=["no segment's cost moved"]))
    else:
        columns, rows = _moves_table(moved.segments, ["segment", "month", "currency"], ["segment", "month", "currency"])
        out.append(Section("Cost moved per segment and month", columns=columns, rows=rows, numeric_from=3))
    title = f"Customers whose cost moved (largest {min(top, len(moved.customers))} of {len(moved.customers)})"
    if not moved.customers:
        out.append(Section("Customers whose cost moved", lines=["no customer's cost moved"]))
    else:
        out.append(Section(title, columns=["customer", "segment", "currency", "months moved", "before", "after",
                                           "change", "moved"], numeric_from=3,
                           lines=["moved: the sum over months of the absolute change"],
                           rows=[[row["customer_id"], row["segment"], row["currency"], str(row["months"]),
                                  _money(row["old_cost"]), _money(row["new_cost"]), _signed(row["change"]),
                                  _money(row["moved"])] for row in moved.customers[:top]]))
    if customer_months:
        columns, rows = _moves_table(moved.customer_months[:top], ["customer_id", "month", "currency"],
                                     ["customer", "month", "currency"])
        out.append(Section(f"What moves, per customer and month (largest {min(top, len(moved.customer_months))}"
                           f" of {len(moved.customer_months)})", columns=columns, rows=rows, numeric_from=3))
    out.append(Section("Unattributed share of each month's bill", numeric_from=2,
                       columns=["month", "currency", "before", "share before", "after", "share after", "change"],
                       rows=[[row["month"], row["currency"], _money(row["old_unattributed"]),
                              _percent(row["old_share"]), _money(row["new_unattributed"]),
                              _percent(row["new_share"]), _signed(row["new_unattributed"] - row["old_unattributed"])]
                             for row in moved.unattributed_share]))
    if not moved.unattributed:
        out.append(Section("Unattributed cost by reason", lines=["no unattributed cost moved"]))
    else:
        columns, rows = _moves_table(moved.unattributed, ["month", "reason", "currency"], ["month", "reason", "currency"])
        out.append(Section("Unattributed cost by reason that changes", columns=columns, rows=rows, numeric_from=3))
    if moved.tests is not None:
        tests = moved.tests
        if not tests.recorded:
            out.append(Section("Data tests", lines=[f"Test outcomes {tests.source}"]))
        elif not tests.changes:
            out.append(Section("Data tests", lines=[f"no test changed outcome ({tests.compared} compared)"]))
        else:
            def shown(status: Any, failures: Any) -> str:
                return f"{status} ({failures} rows)" if failures else str(status)

            out.append(Section("Data tests that changed outcome", columns=["test", "before", "after"],
                               numeric_from=3, rows=[[row["test"], shown(row["old_status"], row["old_failures"]),
                                                      shown(row["new_status"], row["new_failures"])]
                                                     for row in tests.changes]))
    return out


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown(title: str, parts: list[Section]) -> str:
    """The sections as GitHub-flavoured markdown (a CI job summary, a review comment)."""
    out = [f"## {title}", ""]
    for part in parts:
        out += [f"### {part.title}", ""]
        out += [f"- {_cell(line)}" if len(part.lines) > 1 else _cell(line) for line in part.lines]
        if part.lines:
            out.append("")
        if part.columns:
            out.append("| " + " | ".join(_cell(column) for column in part.columns) + " |")
            out.append("|" + "|".join("---:" if index >= part.numeric_from else "---"
                                      for index in range(len(part.columns))) + "|")
            out += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in part.rows]
            out.append("")
    return "\n".join(out)


def _text(title: str, parts: list[Section], console: Console) -> None:
    console.rule(f"[bold]{escape(title)}")
    for part in parts:
        if not part.columns:
            # Not wrapped: one line per rule change, whole, for a reader and a grep alike.
            if len(part.lines) == 1:
                console.print(f"[bold]{escape(part.title)}[/bold]: {escape(part.lines[0])}", highlight=False,
                              soft_wrap=True)
            else:
                console.print(f"[bold]{escape(part.title)}[/bold]", highlight=False)
                for line in part.lines:
                    console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
            continue
        table = Table(title=escape(part.title), title_justify="left", caption=escape("; ".join(part.lines)) or None,
                      caption_justify="left")
        for index, column in enumerate(part.columns):
            table.add_column(column, justify="right" if index >= part.numeric_from else "left")
        for row in part.rows:
            table.add_row(*(escape(cell) for cell in row))
        console.print(table)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def render(result: WarehouseDiff | RulesDiff, console: Console, *, output_format: str = "text", top: int = 10,
           title: str | None = None) -> None:
    """Print a comparison as rich tables (text), markdown or JSON (every row, amounts as exact
    decimal strings) under ``title`` (by default, what is compared)."""
    if output_format not in FORMATS:
        raise UserError(f"--format: '{output_format}' is not one of {', '.join(FORMATS)}")
    if isinstance(result, RulesDiff):
        assert result.moved is not None
        title = title or f"Rules diff: {result.moved.base} -> {result.moved.head}"
        parts = sections(result.moved, top=top, rule_changes=result.rule_changes, customer_months=True)
    else:
        title = title or f"Cost impact: {result.base} -> {result.head}"
        parts = sections(result, top=top)
    if output_format == "json":
        console.out(json.dumps(_jsonable(asdict(result)), indent=2), highlight=False)
    elif output_format == "markdown":
        console.out(markdown(title, parts), highlight=False)
    else:
        _text(title, parts, console)

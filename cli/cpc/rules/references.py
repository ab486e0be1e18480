"""Names the rules use, checked against the landed data before dbt runs."""

from __future__ import annotations

import difflib

from cpc.errors import UserError
from cpc.rules.messages import (
    _one_line,
    _show,
)
from cpc.rules.model import (
    Rule,
    RuleSet,
    normalize_segment,
)

_KNOWN_LIST_MAX = 8


def check_references(
    ruleset: RuleSet,
    *,
    metrics: set[str],
    customers: set[str],
    segments: set[str],
    where: str = "allocation.yml",
) -> None:
    """Check that the names rules use exist in the landed data, before dbt runs.

    Args:
        ruleset: The validated rules.
        metrics: The telemetry metrics (compared case-insensitively); empty when there is
            no telemetry, in which case a ``usage`` rule naming a metric fails.
        customers: The customer ids of customers.csv (compared case-insensitively).
        segments: The segments of customers.csv (compared after
            :func:`normalize_segment`).
        where: How to name the rules file in messages.

    Raises:
        UserError: One line naming the file, the rule, the unknown name and what is known.
    """
    metric_names = {m.lower(): m for m in sorted(metrics, key=str.lower) if isinstance(m, str)}
    customer_ids = {c.strip().lower(): c.strip() for c in customers if isinstance(c, str)}
    segment_names = {normalize_segment(s) for s in segments if isinstance(s, str)}
    for rule in ruleset.rules:

        def fail(problem: str, rule: Rule = rule) -> UserError:
            return UserError(_one_line(f"{where}: rule '{rule.name}': {problem}"))

        if rule.method == "usage" and rule.metric is not None:
            if not metric_names:
                raise fail(
                    f"metric {_show(rule.metric)} is set but there is no telemetry "
                    "(no usage data was landed); remove the metric or add usage/"
                )
            if rule.metric.lower() not in metric_names:
                raise fail(
                    f"metric {_show(rule.metric)} is not in the telemetry"
                    + _known(rule.metric.lower(), metric_names, "metrics")
                )
        customer_refs = (
            *((c, "weights.customer") for c, _w in rule.weights_customer),
            *((c, "shares") for c, _s in rule.shares),
            *((c, "scope.customers") for c in rule.scope_customers),
        )
        for customer, label in customer_refs:
            if customer.lower() not in customer_ids:
                raise fail(
                    f"customer {_show(customer)} in {label} is not in customers.csv"
                    + _known(customer.lower(), customer_ids, "customers")
                )
        segment_refs = (
            *((s, "weights.segment") for s, _w in rule.weights_segment),
            *((s, "scope.segments") for s in rule.scope_segments),
        )
        for segment, label in segment_refs:
            if segment not in segment_names:
                known = {name: name for name in sorted(segment_names)}
                raise fail(
                    f"segment {_show(segment)} in {label} is not in customers.csv"
                    + _known(segment, known, "segments")
                )


def _known(name: str, known: dict[str, str], what: str) -> str:
    """A message tail: close matches and up to a few known names (``known``: key -> shown)."""
    if not known:
        return f" (customers.csv has no {what})" if what != "metrics" else ""
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(_show(known[c]) for c in close)}?" if close else ""
    shown = [known[key] for key in sorted(known)][:_KNOWN_LIST_MAX]
    more = f", ... ({len(known)} in all)" if len(known) > _KNOWN_LIST_MAX else ""
    return f"{hint} (known {what}: {', '.join(shown)}{more})"

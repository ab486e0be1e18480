"""What changed between two rule sets (`cpc compare --rules`)."""

from __future__ import annotations

import dataclasses
import difflib
import json

from cpc.rules.messages import _show
from cpc.rules.model import (
    Rule,
    RuleSet,
)


def diff_rules(old: RuleSet, new: RuleSet) -> list[str]:
    """Describe how ``new`` differs from ``old``, one human-readable line per change.

    Rules are matched by name (case-insensitively). Lines say which rules were removed,
    added, changed (their version differs; the changed keys are named) or re-ordered
    (moved relative to the rules kept), and whether ``customer_tag_key``,
    ``reporting_currency``, ``fx_max_gap_days``, ``max_unattributed_share`` or
    ``privacy: pseudonymize_customers``, ``reconciliation`` or ``incremental`` changed.
    Returns an empty list when nothing changed.
    """
    lines: list[str] = []
    if old.customer_tag_key != new.customer_tag_key:
        lines.append(
            f"customer_tag_key changed: {_show(old.customer_tag_key)} -> "
            f"{_show(new.customer_tag_key)}"
        )
    if old.reporting_currency != new.reporting_currency:
        lines.append(
            f"reporting_currency changed: {old.reporting_currency or 'default'} -> "
            f"{new.reporting_currency or 'default'}"
        )
    if old.fx_max_gap_days != new.fx_max_gap_days:
        lines.append(f"fx_max_gap_days changed: {old.fx_max_gap_days} -> {new.fx_max_gap_days}")
    if old.max_unattributed_share != new.max_unattributed_share:
        lines.append(
            f"max_unattributed_share changed: {old.max_unattributed_share:g} -> "
            f"{new.max_unattributed_share:g}"
        )
    if old.pseudonymize_customers != new.pseudonymize_customers:
        lines.append(
            f"privacy pseudonymize_customers changed: {str(old.pseudonymize_customers).lower()} -> "
            f"{str(new.pseudonymize_customers).lower()}"
        )
    if old.reconciliation != new.reconciliation:
        lines.append("reconciliation changed (tolerance or units)")
    if old.lookback_days != new.lookback_days:
        lines.append(f"incremental lookback_days changed: {old.lookback_days} -> {new.lookback_days}")
    old_surcharges = {item.name.lower(): item for item in old.surcharges}
    new_surcharges = {item.name.lower(): item for item in new.surcharges}
    for key, item in old_surcharges.items():
        if key not in new_surcharges:
            lines.append(f"removed: surcharge '{item.name}'")
    for key, item in new_surcharges.items():
        before = old_surcharges.get(key)
        if before is None:
            lines.append(f"added: surcharge '{item.name}'")
        elif dataclasses.replace(before, position=0, description=None) != dataclasses.replace(
            item, position=0, description=None
        ):
            lines.append(f"changed: surcharge '{item.name}'")
    old_by_name = {rule.name.lower(): rule for rule in old.rules}
    new_by_name = {rule.name.lower(): rule for rule in new.rules}
    for rule in old.rules:
        if rule.name.lower() not in new_by_name:
            lines.append(f"removed: rule '{rule.name}' (was #{rule.position}, {rule.method})")
    kept_old = [rule.name.lower() for rule in old.rules if rule.name.lower() in new_by_name]
    kept_new = [rule.name.lower() for rule in new.rules if rule.name.lower() in old_by_name]
    matcher = difflib.SequenceMatcher(a=kept_old, b=kept_new, autojunk=False)
    in_order: set[str] = set()
    for block in matcher.get_matching_blocks():
        in_order.update(kept_new[block.b : block.b + block.size])
    for rule in new.rules:
        before = old_by_name.get(rule.name.lower())
        if before is None:
            lines.append(f"added: rule '{rule.name}' at #{rule.position} ({rule.method})")
            continue
        if before.definition != rule.definition:
            keys = _changed_keys(before, rule)
            what = f" ({', '.join(keys)})" if keys else ""
            version = (f"version {before.version} -> {rule.version}" if before.version != rule.version
                       else f"its days only, version {rule.version} unchanged")
            lines.append(f"changed: rule '{rule.name}'{what}: {version}")
        if rule.name.lower() not in in_order:
            lines.append(
                f"re-ordered: rule '{rule.name}' moved from #{before.position} to #{rule.position}"
            )
    return lines


def _changed_keys(old: Rule, new: Rule) -> list[str]:
    """The rule keys whose written value differs between two versions of a rule."""
    try:
        before = json.loads(old.definition) if old.definition else {}
        after = json.loads(new.definition) if new.definition else {}
    except ValueError:
        return []
    return [key for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]

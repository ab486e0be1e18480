"""Validators for the values inside a rule or surcharge: names, numbers, ids, dates, weights, shares."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from cpc.errors import UserError
from cpc.rules.messages import (
    _did_you_mean,
    _fmt,
    _one_line,
    _Problem,
    _show,
    _type_name,
)
from cpc.rules.model import (
    _DATE_RE,
    _JINJA_MARKERS,
    REMAINDER_UNATTRIBUTED,
    SHARES_TOLERANCE,
    Pairs,
    normalize_segment,
)
from cpc.rules.yaml_loader import _YamlInt

#: Validates a customer id or segment name read from YAML (value, label) -> name.
_NameCheck = Callable[[Any, str], str]

_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
_NAME_MAX = 64
_METRIC_RE = re.compile(r"[A-Za-z0-9_.:-]+")
_UNSAFE_NAME_RE = re.compile(r"['\"\\`\x00-\x1f\x7f]")
_ID_MAX = 256


def _named_item(
    item: Any, kind: str, position: int, where: str, keys: tuple[str, ...], needs: str
) -> tuple[str, Callable[[str], UserError]]:
    """Check that a rule or surcharge is a mapping with a valid name and only known keys.

    Returns the name and a function making a one-line error labelled with it.
    """
    label = f"{kind} #{position}"
    if not isinstance(item, dict):
        raise UserError(f"{where}: {label}: must be a mapping with {needs}, not {_type_name(item)}")
    name = item.get("name")
    if name is None:
        raise UserError(f"{where}: {label}: name is required")
    if not isinstance(name, str):
        raise UserError(f"{where}: {label}: name must be text, not {_type_name(name)}")
    if not name:
        raise UserError(f"{where}: {label}: name is empty")
    if not _NAME_RE.fullmatch(name):
        raise UserError(
            f"{where}: {label}: name {_show(name)} may only use letters, digits, '-' and '_'"
        )
    if len(name) > _NAME_MAX:
        raise UserError(f"{where}: {label}: name is longer than {_NAME_MAX} characters")
    named = f"{kind} '{name}'"

    def fail(problem: str) -> UserError:
        return UserError(_one_line(f"{where}: {named}: {problem}"))

    for key in item:
        if key not in keys:
            raise fail(
                f"unknown key {_show(key)}{_did_you_mean(key, keys)} (allowed: {', '.join(keys)})"
            )
    return name, fail


def _description_and_window(
    item: dict[str, Any], fail: Callable[[str], UserError]
) -> tuple[str | None, dt.date | None, dt.date | None]:
    """Validate ``description`` and the ``effective_from`` / ``effective_to`` window."""
    description = item.get("description")
    if description is not None and not isinstance(description, str):
        raise fail(f"description must be text, not {_type_name(description)}")
    try:
        effective_from = _date(item.get("effective_from"), "effective_from")
        effective_to = _date(item.get("effective_to"), "effective_to")
    except _Problem as problem:
        raise fail(str(problem)) from None
    if effective_from and effective_to and effective_from >= effective_to:
        raise fail(
            f"effective_from ({effective_from}) must be before effective_to ({effective_to});"
            " effective_to is exclusive"
        )
    return description, effective_from, effective_to


def _methods_phrase(methods: list[str]) -> str:
    """``method 'usage'`` or ``methods 'even', 'weighted'``."""
    quoted = ", ".join(f"'{m}'" for m in methods)
    return f"method {quoted}" if len(methods) == 1 else f"methods {quoted}"


def _unique_keys(keys: Iterable[str]) -> tuple[str, ...]:
    """Drop repeated tag keys (compared case-insensitively), keeping the first spelling."""
    seen: set[str] = set()
    unique: list[str] = []
    for key in keys:
        if key.lower() not in seen:
            seen.add(key.lower())
            unique.append(key)
    return tuple(unique)


def _metric(metric: Any) -> str | None:
    """Validate a usage rule's metric (None: the service's only metric)."""
    if metric is None:
        return None
    if not isinstance(metric, str):
        raise _Problem(f"metric must be text, not {_type_name(metric)}")
    if not _METRIC_RE.fullmatch(metric):
        raise _Problem(f"metric {_show(metric)} may only use letters, digits and _ . : -")
    return metric


def _scope(value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Validate ``scope``: normalized segments and customer ids (as written)."""
    allowed = ("segments", "customers")
    if not isinstance(value, dict):
        raise _Problem(
            "scope must be a mapping with 'segments' and/or 'customers' lists, "
            f"not {_type_name(value)}"
        )
    for key in value:
        if key not in allowed:
            raise _Problem(
                f"unknown key {_show(key)} in scope{_did_you_mean(key, allowed)}"
                f" (allowed: {', '.join(allowed)})"
            )
    if not value:
        raise _Problem("scope is empty; give 'segments' and/or 'customers' lists")
    segments = tuple(_name_list(value, "segments", _segment))
    customers = tuple(_name_list(value, "customers", _customer_id))
    return segments, customers


def _name_list(scope: dict[str, Any], key: str, check: _NameCheck) -> list[str]:
    """Validate one ``scope`` list with ``check`` (a name validator); refuse repeats."""
    if key not in scope:
        return []
    items = scope[key]
    label = f"scope.{key}"
    if not isinstance(items, list):
        raise _Problem(f"{label} must be a list, e.g. [a, b], not {_type_name(items)}")
    if not items:
        raise _Problem(f"{label} is empty; list at least one, or remove it")
    names: list[str] = []
    seen: set[str] = set()
    for item in items:
        name = check(item, label)
        if name.lower() in seen:
            raise _Problem(f"{_show(name)} is listed twice in {label}")
        seen.add(name.lower())
        names.append(name)
    return names


def _weights(value: Any) -> tuple[Pairs, Pairs]:
    """Validate ``weights``: exactly one of ``segment:`` / ``customer:`` name -> weight."""
    allowed = ("segment", "customer")
    example = "(weights: {segment: {enterprise: 3}} or weights: {customer: {acme: 2}})"
    if not isinstance(value, dict):
        raise _Problem(f"weights must be a mapping {example}, not {_type_name(value)}")
    for key in value:
        if key not in allowed:
            raise _Problem(
                f"unknown key {_show(key)} in weights{_did_you_mean(key, allowed)}"
                f" (allowed: {', '.join(allowed)})"
            )
    if len(value) != 1:
        raise _Problem(
            "weights must have exactly one of 'segment' or 'customer', "
            + ("not both" if value else f"none given {example}")
        )
    kind = next(iter(value))
    check = _segment if kind == "segment" else _customer_id
    pairs = _number_map(value[kind], f"weights.{kind}", check, minimum=0.0, inclusive=True)
    return (pairs, ()) if kind == "segment" else ((), pairs)


def _shares(value: Any, remainder: bool) -> Pairs:
    """Validate ``shares``: customer id -> fraction in (0, 1], adding up to 1 (or less)."""
    pairs = _number_map(value, "shares", _customer_id, minimum=0.0, inclusive=False, maximum=1.0)
    total = math.fsum(share for _key, share in pairs)
    if remainder:
        if total > 1 + SHARES_TOLERANCE:
            raise _Problem(f"shares sum to {_fmt(total)}, more than 1")
    elif abs(total - 1) > SHARES_TOLERANCE:
        hint = "; add 'remainder: unattributed' to leave the rest unattributed" if total < 1 else ""
        raise _Problem(f"shares sum to {_fmt(total)}, not 1{hint}")
    return pairs


def _remainder(value: Any, given: bool) -> bool:
    """Validate ``remainder`` (only ``unattributed`` is accepted)."""
    if not given:
        return False
    if isinstance(value, str) and value.strip().lower() == REMAINDER_UNATTRIBUTED:
        return True
    raise _Problem(
        f"remainder {_show(value) if value is not None else 'is empty'}: the only value is "
        f"'{REMAINDER_UNATTRIBUTED}' (leave the rest of the cost unattributed)"
    )


def _number_map(
    value: Any,
    label: str,
    check: _NameCheck,
    *,
    minimum: float,
    inclusive: bool,
    maximum: float | None = None,
) -> Pairs:
    """Validate a non-empty mapping of names (checked by ``check``) to numbers."""
    if not isinstance(value, dict):
        raise _Problem(f"{label} must be a mapping of name: number, not {_type_name(value)}")
    if not value:
        raise _Problem(f"{label} is empty; list at least one")
    pairs: list[tuple[str, float]] = []
    seen: dict[str, str] = {}
    for raw_key, raw_number in value.items():
        key = check(raw_key, label)
        written = _canonical_key(raw_key)
        if key.lower() in seen:
            raise _Problem(
                f"{_show(written)} and {_show(seen[key.lower()])} in {label} are the same "
                "(compared case-insensitively, segment spaces as dashes)"
            )
        seen[key.lower()] = written
        number = _number(raw_number, f"{label} {_show(key)}", minimum=minimum, inclusive=inclusive)
        if maximum is not None and number > maximum:
            raise _Problem(
                f"{label} {_show(key)} is {_fmt(number)}; it must be at most {maximum:g}"
            )
        pairs.append((key, number))
    return tuple(pairs)


def _number(value: Any, label: str, *, minimum: float, inclusive: bool) -> float:
    """Validate a finite number above (or at) ``minimum``; return it as a plain float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Problem(f"{label} must be a number, not {_type_name(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise _Problem(f"{label} must be a finite number")
    if number < minimum or (number == minimum and not inclusive):
        bound = ">=" if inclusive else ">"
        raise _Problem(f"{label} is {_fmt(number)}; it must be {bound} {minimum:g}")
    return number


def _customer_id(value: Any, label: str) -> str:
    """Validate a customer id; return it as written (YAML integers keep their spelling)."""
    if isinstance(value, _YamlInt):
        value = value.source
    if not isinstance(value, str):
        raise _Problem(
            f"customer id {_show(value)} in {label} must be text; quote it in YAML "
            "(e.g. '012345') so it is read as written"
        )
    _check_name(value, "customer id", label)
    return value


def _segment(value: Any, label: str) -> str:
    """Validate a segment name; return it normalized (see :func:`normalize_segment`)."""
    if isinstance(value, _YamlInt):
        value = value.source
    if not isinstance(value, str):
        raise _Problem(f"segment {_show(value)} in {label} must be text; quote it in YAML")
    _check_name(value.strip(), "segment", label)
    return normalize_segment(value)


def _check_name(value: str, what: str, label: str) -> None:
    """Refuse empty, padded, overlong or SQL/Jinja-unsafe customer ids, segment names and region ids."""
    if not value:
        raise _Problem(f"empty {what} in {label}")
    if value != value.strip():
        raise _Problem(f"{what} {_show(value)} in {label} has leading or trailing spaces")
    if len(value) > _ID_MAX:
        raise _Problem(f"{what} {_show(value)} in {label} is longer than {_ID_MAX} characters")
    if _UNSAFE_NAME_RE.search(value) or any(marker in value for marker in _JINJA_MARKERS):
        raise _Problem(
            f"{what} {_show(value)} in {label} may not contain quotes, backslashes, "
            "backticks, control characters or {{ {% {#"
        )


def _region_id(value: Any, label: str) -> str:
    """Validate a region id used as a key of ``region_rates`` (checked like customer ids)."""
    if not isinstance(value, str):
        raise _Problem(f"region id {_show(value)} in {label} must be text, not {_type_name(value)}")
    _check_name(value, "region id", label)
    return value


def _definition(item: dict[str, Any]) -> str:
    """Canonical JSON of a rule as written, without its description (what versions hash)."""
    body = {str(key): _canonical(value) for key, value in item.items() if key != "description"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical(value: Any) -> Any:
    """A JSON-able form of a validated YAML value (numbers as floats, dates as ISO text)."""
    if isinstance(value, dict):
        return {_canonical_key(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _canonical_key(key: Any) -> str:
    """A mapping key as text (YAML integers as written)."""
    if isinstance(key, _YamlInt):
        return key.source
    return str(key)


def _date(value: Any, key: str) -> dt.date | None:
    """Parse an effective date given as a YAML date or an ISO ``YYYY-MM-DD`` string."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        raise _Problem(f"{key} must be a date (YYYY-MM-DD), not a timestamp")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_RE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as err:
            raise _Problem(f"{key} {_show(value)} is not a valid date ({err})") from None
    raise _Problem(f"{key} {_show(value)} is not a date; write it as YYYY-MM-DD")

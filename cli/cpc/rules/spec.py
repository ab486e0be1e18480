"""Loading allocation.yml (or the default rules) into a validated RuleSet."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

from cpc.errors import UserError
from cpc.rules.fields import (
    _definition,
    _description_and_window,
    _methods_phrase,
    _metric,
    _named_item,
    _number,
    _remainder,
    _scope,
    _shares,
    _unique_keys,
    _weights,
)
from cpc.rules.messages import (
    _did_you_mean,
    _one_line,
    _Problem,
    _show,
    _type_name,
)
from cpc.rules.model import (
    _TAG_KEY_MAX,
    COMMON_RULE_KEYS,
    DEFAULT_CUSTOMER_TAG_KEY,
    FUTURE_METHODS,
    MAX_FX_GAP_DAYS,
    METHOD_KEYS,
    PRIVACY_DEFAULTS,
    READ_DIALECT,
    RULE_KEYS,
    TOP_LEVEL_KEYS,
    Pairs,
    Rule,
    RuleSet,
    _check_dialect,
    tag_column,
)
from cpc.rules.predicates import (
    _compile,
    _match,
)
from cpc.rules.project import (
    DEFAULT_FX_MAX_GAP_DAYS,
    DEFAULT_LOOKBACK_DAYS,
    DEFAULT_MAX_UNATTRIBUTED_SHARE,
    KUBERNETES_DEFAULTS,
    METHODS,
    RECONCILIATION_DEFAULTS,
    SHARE_IDLE_MODES,
)
from cpc.rules.surcharges import _surcharges
from cpc.rules.yaml_loader import _parse_yaml

_NOT_UNUSED_COMMITMENT = (
    "commitment_discount_status is null or commitment_discount_status <> 'Unused'"
)

#: The default rules as they would be written in allocation.yml.
DEFAULT_SPEC: dict[str, Any] = {
    "customer_tag_key": DEFAULT_CUSTOMER_TAG_KEY,
    "rules": [
        {"name": "tagged", "method": "tag", "match": _NOT_UNUSED_COMMITMENT},
        # Before any usage rule: a tax or credit on a service follows the cost it taxes or
        # credits, not the service's telemetry (docs/allocation.md, "Default rules").
        {
            "name": "taxes-and-credits",
            "method": "proportional_to_cost",
            "match": "charge_category in ('Tax', 'Credit')",
        },
        {"name": "usage-by-service", "method": "usage", "match": _NOT_UNUSED_COMMITMENT},
    ],
}

_TAG_KEY_RE = re.compile(r"[\w .:/=+@-]+")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_VERSION_LENGTH = 12
#: The keys of a rule's window (what its version leaves out).
_WINDOW_KEYS = ("effective_from", "effective_to")


def default_rules(dialect: str = READ_DIALECT) -> RuleSet:
    """Return the built-in rule set (:data:`DEFAULT_SPEC`, docs/allocation.md "Default rules") rendered for ``dialect``."""
    _check_dialect(dialect)
    canonical = json.dumps(DEFAULT_SPEC, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return _build(
        DEFAULT_SPEC, where="default rules", source="default", digest=digest, dialect=dialect
    )


def load_rules(path: Path | None, dialect: str = READ_DIALECT) -> RuleSet:
    """Load and validate an allocation file, or return the defaults when ``path`` is None.

    Args:
        path: The ``allocation.yml`` to read, or None for :func:`default_rules`.
        dialect: Target SQL dialect for the rendered predicates (``duckdb`` or ``spark``).

    Raises:
        UserError: One line naming the file, the rule and the problem.
    """
    _check_dialect(dialect)
    if path is None:
        return default_rules(dialect)
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{where}: file not found") from None
    except IsADirectoryError:
        raise UserError(f"{where}: is a directory, expected an allocation YAML file") from None
    except OSError as err:
        raise UserError(f"{where}: cannot read file ({err.strerror or err})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{where}: not UTF-8 text") from None
    data = _parse_yaml(text, where)
    return _build(
        data, where=where, source=where, digest=hashlib.sha256(raw).hexdigest(), dialect=dialect
    )


def _build(data: Any, *, where: str, source: str, digest: str, dialect: str) -> RuleSet:
    """Validate parsed YAML data and build the RuleSet."""
    if data is None:
        raise UserError(f"{where}: file is empty; expected a mapping with a 'rules' list")
    if not isinstance(data, dict):
        raise UserError(
            f"{where}: top level must be a mapping with 'customer_tag_key' and 'rules', "
            f"not {_type_name(data)}"
        )
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise UserError(
                f"{where}: unknown top-level key {_show(key)}{_did_you_mean(key, TOP_LEVEL_KEYS)}"
                f" (allowed: {', '.join(TOP_LEVEL_KEYS)})"
            )
    tag_key = _customer_tag_key(data.get("customer_tag_key", DEFAULT_CUSTOMER_TAG_KEY), where)
    reporting_currency = _reporting_currency(data.get("reporting_currency"), where)
    fx_max_gap_days = _fx_max_gap_days(data.get("fx_max_gap_days", DEFAULT_FX_MAX_GAP_DAYS), where)
    max_unattributed_share = _max_unattributed_share(
        data.get("max_unattributed_share", DEFAULT_MAX_UNATTRIBUTED_SHARE), where
    )
    kubernetes = _kubernetes(data.get("kubernetes"), where)
    privacy = _privacy(data.get("privacy"), where)
    reconciliation = _reconciliation(data.get("reconciliation"), where)
    lookback_days = _lookback_days(data.get("incremental"), where)
    if "rules" not in data:
        raise UserError(f"{where}: 'rules' is missing; list at least one rule")
    items = data["rules"]
    if not isinstance(items, list):
        raise UserError(f"{where}: 'rules' must be a list of rules, not {_type_name(items)}")
    if not items:
        raise UserError(f"{where}: 'rules' is empty; list at least one rule")

    rules: list[Rule] = []
    first_by_name: dict[str, int] = {}
    tag_keys: list[str] = []
    key_by_column: dict[str, tuple[str, str]] = {}
    for position, item in enumerate(items, start=1):
        rule = _rule(item, position, where, dialect)
        key = rule.name.lower()
        if key in first_by_name:
            raise UserError(
                f"{where}: rule '{rule.name}' (#{position}): duplicate name; "
                f"rule #{first_by_name[key]} already uses it (names are case-insensitive)"
            )
        first_by_name[key] = position
        _collect_tag_keys(f"rule '{rule.name}'", rule.tag_keys, key_by_column, tag_keys, where)
        rules.append(rule)
    surcharges = _surcharges(data.get("surcharges"), where, dialect)
    for surcharge in surcharges:
        _collect_tag_keys(
            f"surcharge '{surcharge.name}'", surcharge.tag_keys, key_by_column, tag_keys, where
        )
    return RuleSet(
        customer_tag_key=tag_key,
        rules=rules,
        source=source,
        content_hash=digest,
        dialect=dialect,
        tag_keys=tuple(tag_keys),
        reporting_currency=reporting_currency,
        fx_max_gap_days=fx_max_gap_days,
        max_unattributed_share=max_unattributed_share,
        kubernetes=kubernetes,
        surcharges=surcharges,
        pseudonymize_customers=privacy["pseudonymize_customers"],
        reconciliation=reconciliation,
        lookback_days=lookback_days,
    )


def _collect_tag_keys(
    owner: str,
    keys: tuple[str, ...],
    key_by_column: dict[str, tuple[str, str]],
    tag_keys: list[str],
    where: str,
) -> None:
    """Add ``owner``'s tag keys to ``tag_keys``; two spellings of one column are an error."""
    for tag in keys:
        column = tag_column(tag)
        if column not in key_by_column:
            key_by_column[column] = (tag, owner)
            tag_keys.append(tag)
            continue
        first_tag, first_owner = key_by_column[column]
        if first_tag.lower() != tag.lower():
            where_first = "" if first_owner == owner else f" (in {first_owner})"
            raise UserError(
                _one_line(
                    f"{where}: {owner}: tag({_show(tag)}) and "
                    f"tag({_show(first_tag)}){where_first} would both become column "
                    f"{column}; spell the tag key the same way everywhere"
                )
            )


def _kubernetes(value: Any, where: str) -> dict[str, Any]:
    """Validate ``kubernetes:``: prices positive numbers, share_idle one of SHARE_IDLE_MODES."""
    settings = dict(KUBERNETES_DEFAULTS)
    if value is None:
        return settings
    if not isinstance(value, dict):
        raise UserError(f"{where}: kubernetes must be a mapping, not {_type_name(value)}")
    for key, item in value.items():
        if key not in KUBERNETES_DEFAULTS:
            raise UserError(
                f"{where}: unknown key {_show(key)} in kubernetes"
                f"{_did_you_mean(key, tuple(KUBERNETES_DEFAULTS))}"
                f" (allowed: {', '.join(KUBERNETES_DEFAULTS)})"
            )
        if key == "share_idle":
            if not isinstance(item, str) or item.strip().lower() not in SHARE_IDLE_MODES:
                raise UserError(
                    f"{where}: kubernetes share_idle must be one of {', '.join(SHARE_IDLE_MODES)}, "
                    f"not {_show(item) if isinstance(item, str) else _type_name(item)}"
                )
            settings[key] = item.strip().lower()
            continue
        try:
            settings[key] = _number(item, f"kubernetes {key}", minimum=0, inclusive=False)
        except _Problem as problem:
            raise UserError(f"{where}: {problem}") from None
    return settings


def _privacy(value: Any, where: str) -> dict[str, bool]:
    """Validate ``privacy:``: a mapping of PRIVACY_DEFAULTS' keys to true or false."""
    settings = dict(PRIVACY_DEFAULTS)
    if value is None:
        return settings
    if not isinstance(value, dict):
        raise UserError(
            f"{where}: privacy must be a mapping such as {{pseudonymize_customers: true}}, "
            f"not {_type_name(value)}"
        )
    for key, item in value.items():
        if key not in PRIVACY_DEFAULTS:
            raise UserError(
                f"{where}: unknown key {_show(key)} in privacy"
                f"{_did_you_mean(key, tuple(PRIVACY_DEFAULTS))}"
                f" (allowed: {', '.join(PRIVACY_DEFAULTS)})"
            )
        if not isinstance(item, bool):
            shown = _show(item) if isinstance(item, (str, int, float)) else _type_name(item)
            raise UserError(f"{where}: privacy {key} must be true or false, not {shown}")
        settings[key] = item
    return settings


def _lookback_days(value: Any, where: str) -> int:
    """Validate ``incremental:``: ``lookback_days``, a whole number of days from 0 to 3660."""
    if value is None:
        return DEFAULT_LOOKBACK_DAYS
    if not isinstance(value, dict):
        raise UserError(
            f"{where}: incremental must be a mapping such as {{lookback_days: 7}}, not {_type_name(value)}"
        )
    for key in value:
        if key != "lookback_days":
            raise UserError(
                f"{where}: unknown key {_show(key)} in incremental"
                f"{_did_you_mean(key, ('lookback_days',))} (allowed: lookback_days)"
            )
    days = value.get("lookback_days", DEFAULT_LOOKBACK_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3660:
        shown = _show(days) if isinstance(days, (int, float, str)) else _type_name(days)
        raise UserError(
            f"{where}: incremental lookback_days must be a whole number of days from 0 to 3660, not {shown}"
        )
    return days


def _reconciliation(value: Any, where: str) -> dict[str, Any]:
    """Validate ``reconciliation:``: ``tolerance`` a number from 0 to 1 (a relative difference),
    ``units`` a mapping of telemetry metric to the billed unit it is counted in (e.g. egress_gb: GB)."""
    settings: dict[str, Any] = {
        "tolerance": RECONCILIATION_DEFAULTS["tolerance"],
        "units": dict(RECONCILIATION_DEFAULTS["units"]),
    }
    if value is None:
        return settings
    if not isinstance(value, dict):
        raise UserError(
            f"{where}: reconciliation must be a mapping such as "
            f"{{tolerance: 0.1, units: {{egress_gb: GB}}}}, not {_type_name(value)}"
        )
    for key, item in value.items():
        if key not in settings:
            raise UserError(
                f"{where}: unknown key {_show(key)} in reconciliation"
                f"{_did_you_mean(key, tuple(settings))} (allowed: {', '.join(settings)})"
            )
        if key == "tolerance":
            try:
                tolerance = _number(item, "reconciliation tolerance", minimum=0, inclusive=False)
            except _Problem as problem:
                raise UserError(f"{where}: {problem}") from None
            if tolerance > 1:
                raise UserError(
                    f"{where}: reconciliation tolerance is {tolerance:g}; it is a relative difference "
                    "from 0 to 1 (0.1 for 10 %), not a percentage"
                )
            settings["tolerance"] = tolerance
            continue
        if not isinstance(item, dict):
            raise UserError(
                f"{where}: reconciliation units must be a mapping of telemetry metric to billed unit "
                f"(e.g. {{egress_gb: GB}}), not {_type_name(item)}"
            )
        units: dict[str, str] = {}
        for metric, unit in item.items():
            try:
                name = _metric(metric)
            except _Problem as problem:
                raise UserError(f"{where}: reconciliation units: {problem}") from None
            if not isinstance(unit, str) or not unit.strip():
                shown = _show(unit) if isinstance(unit, (int, float)) else _type_name(unit)
                raise UserError(
                    f"{where}: reconciliation units {_show(metric)} must name a billed unit "
                    f"(ConsumedUnit or PricingUnit, e.g. GB), not {shown}"
                )
            units[str(name)] = unit.strip()
        settings["units"] = units
    return settings


def _reporting_currency(value: Any, where: str) -> str | None:
    """Validate ``reporting_currency``: a three-letter ISO 4217 code, returned upper-case."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise UserError(
            f"{where}: reporting_currency must be a three-letter currency code such as USD, "
            f"not {_type_name(value)}"
        )
    code = value.strip().upper()
    if not _CURRENCY_RE.fullmatch(code):
        raise UserError(
            f"{where}: reporting_currency {_show(value)} is not a three-letter currency code "
            "(ISO 4217, e.g. USD, EUR, GBP)"
        )
    return code


def _fx_max_gap_days(value: Any, where: str) -> int:
    """Validate ``fx_max_gap_days``: a whole number of days from 0 to MAX_FX_GAP_DAYS."""
    if isinstance(value, bool) or not isinstance(value, int):
        shown = _show(value) if isinstance(value, (float, str)) else _type_name(value)
        raise UserError(f"{where}: fx_max_gap_days must be a whole number of days, not {shown}")
    if value < 0 or value > MAX_FX_GAP_DAYS:
        raise UserError(
            f"{where}: fx_max_gap_days must be between 0 and {MAX_FX_GAP_DAYS} days, got {int(value)}"
        )
    return int(value)


def _max_unattributed_share(value: Any, where: str) -> float:
    """Validate ``max_unattributed_share``: a number from 0 to 1 (a share, not a percentage)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        shown = _show(value) if isinstance(value, (float, str)) else _type_name(value)
        raise UserError(f"{where}: max_unattributed_share must be a number from 0 to 1, not {shown}")
    if value < 0 or value > 1:
        raise UserError(
            f"{where}: max_unattributed_share must be between 0 and 1 (a share of the bill: "
            f"0.05 is 5 %), got {value}"
        )
    return float(value)


def _customer_tag_key(value: Any, where: str) -> str:
    """Validate ``customer_tag_key``: a plain tag key without quotes or other SQL specials."""
    if not isinstance(value, str):
        raise UserError(f"{where}: customer_tag_key must be text, not {_type_name(value)}")
    if not value.strip():
        raise UserError(f"{where}: customer_tag_key is empty")
    if len(value) > _TAG_KEY_MAX or not _TAG_KEY_RE.fullmatch(value):
        raise UserError(
            f"{where}: customer_tag_key {_show(value)} is not a valid tag key (letters, digits, "
            f"spaces and _ . : / = + - @ only, at most {_TAG_KEY_MAX} characters)"
        )
    return value


@dataclasses.dataclass
class _MethodFields:
    """The method-specific parts of a rule, once validated."""

    metric: str | None = None
    basis: str | None = None
    basis_sql: str | None = None
    weights_segment: Pairs = ()
    weights_customer: Pairs = ()
    default_weight: float = 1.0
    shares: Pairs = ()
    remainder_unattributed: bool = False
    scope_segments: tuple[str, ...] = ()
    scope_customers: tuple[str, ...] = ()
    tag_keys: tuple[str, ...] = ()
    across_services: bool = False


def _rule(item: Any, position: int, where: str, dialect: str) -> Rule:
    """Validate one rule mapping."""
    name, fail = _named_item(item, "rule", position, where, RULE_KEYS, "name and method")

    method = item.get("method")
    if method is None:
        raise fail(f"method is required (one of: {', '.join(METHODS)})")
    if not isinstance(method, str):
        raise fail(f"method must be text, not {_type_name(method)}")
    if method in FUTURE_METHODS:
        raise fail(f"method '{method}' is not supported yet; supported: {', '.join(METHODS)}")
    if method not in METHODS:
        raise fail(
            f"unknown method {_show(method)}{_did_you_mean(method, METHODS)}"
            f"; supported: {', '.join(METHODS)}"
        )
    for key in item:
        if key in COMMON_RULE_KEYS or key in METHOD_KEYS[method]:
            continue
        users = [m for m in METHODS if key in METHOD_KEYS[m]]
        own = METHOD_KEYS[method]
        allowed = (
            f"; method '{method}' also takes: {', '.join(own)}"
            if own
            else f"; method '{method}' takes no further keys"
        )
        raise fail(f"{key} is only allowed with {_methods_phrase(users)}, not '{method}'{allowed}")

    description, effective_from, effective_to = _description_and_window(item, fail)
    match, match_sql, tag_keys = _match(item, fail, dialect, "match")

    try:
        fields = _method_fields(item, method, dialect)
    except _Problem as problem:
        raise fail(str(problem)) from None
    definition = _definition(item)
    # The version says how the rule allocates; its window says on which days, so moving a window
    # (ending a rule where its successor starts) leaves the days it still covers as they were.
    how = _definition({key: value for key, value in item.items() if key not in _WINDOW_KEYS})

    return Rule(
        name=name,
        method=method,
        match_sql=match_sql,
        metric=fields.metric,
        effective_from=effective_from,
        effective_to=effective_to,
        position=position,
        match=match,
        description=description,
        version=hashlib.sha256(how.encode("utf-8")).hexdigest()[:_VERSION_LENGTH],
        basis=fields.basis,
        basis_sql=fields.basis_sql,
        weights_segment=fields.weights_segment,
        weights_customer=fields.weights_customer,
        default_weight=fields.default_weight,
        shares=fields.shares,
        remainder_unattributed=fields.remainder_unattributed,
        scope_segments=fields.scope_segments,
        scope_customers=fields.scope_customers,
        tag_keys=_unique_keys((*tag_keys, *fields.tag_keys)),
        across_services=fields.across_services,
        definition=definition,
    )


def _method_fields(item: dict[str, Any], method: str, dialect: str) -> _MethodFields:
    """Validate the method-specific keys of a rule (already known to fit the method)."""
    fields = _MethodFields()
    if "metric" in item:
        fields.metric = _metric(item["metric"])
    if "across_services" in item:
        across = item["across_services"]
        if not isinstance(across, bool):
            raise _Problem(f"across_services must be true or false, not {_show(across) if isinstance(across, str) else _type_name(across)}")
        if across and fields.metric is None:
            raise _Problem(
                "across_services needs a metric: name the telemetry metric to count across "
                "services (e.g. metric: egress_gb)"
            )
        fields.across_services = across
    if "scope" in item:
        fields.scope_segments, fields.scope_customers = _scope(item["scope"])
    if method == "weighted":
        if "weights" not in item:
            raise _Problem(
                "weights is required for method 'weighted' "
                "(weights: {segment: {name: weight}} or weights: {customer: {id: weight}})"
            )
        fields.weights_segment, fields.weights_customer = _weights(item["weights"])
        if "default_weight" in item:
            fields.default_weight = _number(
                item["default_weight"], "default_weight", minimum=0.0, inclusive=True
            )
        listed = [w for _key, w in (*fields.weights_segment, *fields.weights_customer)]
        if fields.default_weight == 0 and all(w == 0 for w in listed):
            raise _Problem("every weight and default_weight is 0, so nothing could be placed")
    if method == "fixed":
        if "shares" not in item:
            raise _Problem("shares is required for method 'fixed' (shares: {customer_id: 0.5})")
        fields.remainder_unattributed = _remainder(item.get("remainder"), "remainder" in item)
        fields.shares = _shares(item["shares"], fields.remainder_unattributed)
    if "basis" in item:
        basis = item["basis"]
        if basis is None:
            raise _Problem("basis is empty; remove it to follow all cost placed by direct rules")
        if not isinstance(basis, str):
            raise _Problem(
                f"basis must be a SQL condition written as text, not {_type_name(basis)}"
            )
        fields.basis = basis
        fields.basis_sql, fields.tag_keys = _compile(basis, dialect, what="basis")
    return fields

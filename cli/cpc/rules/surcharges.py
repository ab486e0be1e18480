"""The `surcharges:` of allocation.yml (docs/allocation.md, "Regional charges")."""

from __future__ import annotations

from typing import Any

from cpc.errors import UserError
from cpc.rules.fields import (
    _description_and_window,
    _named_item,
    _number,
    _number_map,
    _region_id,
    _unique_keys,
)
from cpc.rules.messages import (
    _did_you_mean,
    _Problem,
    _show,
    _type_name,
)
from cpc.rules.model import (
    SURCHARGE_KEYS,
    Pairs,
    Surcharge,
)
from cpc.rules.predicates import _match
from cpc.rules.project import COST_CATEGORIES


def _surcharges(value: Any, where: str, dialect: str) -> tuple[Surcharge, ...]:
    """Validate ``surcharges:``: a list of surcharge mappings (docs/allocation.md, "Regional charges")."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise UserError(f"{where}: surcharges must be a list, not {_type_name(value)}")
    surcharges: list[Surcharge] = []
    first_by_name: dict[str, int] = {}
    for position, item in enumerate(value, start=1):
        surcharge = _surcharge(item, position, where, dialect)
        key = surcharge.name.lower()
        if key in first_by_name:
            raise UserError(
                f"{where}: surcharge '{surcharge.name}' (#{position}): duplicate name; "
                f"surcharge #{first_by_name[key]} already uses it (names are case-insensitive)"
            )
        first_by_name[key] = position
        surcharges.append(surcharge)
    return tuple(surcharges)


def _surcharge(item: Any, position: int, where: str, dialect: str) -> Surcharge:
    """Validate one surcharge mapping."""
    name, fail = _named_item(item, "surcharge", position, where, SURCHARGE_KEYS, "name and rate")
    description, effective_from, effective_to = _description_and_window(item, fail)
    try:
        rate = None
        if item.get("rate") is not None:
            rate = _number(item["rate"], "rate", minimum=0.0, inclusive=False)
        region_rates: Pairs = ()
        if item.get("region_rates") is not None:
            region_rates = _number_map(item["region_rates"], "region_rates", _region_id, minimum=0.0, inclusive=False)
    except _Problem as problem:
        raise fail(str(problem)) from None
    if rate is None and not region_rates:
        raise fail("give rate (a fraction of the charge, e.g. 0.08) and/or region_rates")
    category = item.get("category")
    if category is not None:
        if not isinstance(category, str) or category.strip().lower() not in COST_CATEGORIES:
            shown = _show(category) if isinstance(category, str) else _type_name(category)
            raise fail(
                f"category {shown} is not a cost category"
                f"{_did_you_mean(str(category).strip().lower(), COST_CATEGORIES)}"
                f" (one of: {', '.join(COST_CATEGORIES)})"
            )
        category = category.strip().lower()
    match, match_sql, tag_keys = _match(item, fail, dialect, "surcharge match")
    return Surcharge(
        name=name,
        match_sql=match_sql,
        rate=rate,
        region_rates=region_rates,
        category=category,
        effective_from=effective_from,
        effective_to=effective_to,
        position=position,
        match=match,
        description=description,
        tag_keys=_unique_keys(tag_keys),
    )

"""The thresholds of `cpc validate`: each one's default and meaning, written once.

docs/validation.md lists them (a test keeps it in step); `cpc validate --set NAME=VALUE` (and
`cpc build --validate --set NAME=VALUE`) overrides one for a run.
"""

from __future__ import annotations

from dataclasses import dataclass

from cpc.errors import UserError


@dataclass(frozen=True)
class Setting:
    name: str
    default: float
    meaning: str
    #: Whole numbers only (a count of days).
    whole: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("trailing_days", 7, "days before a day whose median total is that day's baseline",
            whole=True),
    Setting("min_trailing_days", 3, "days of baseline a day needs before its total is judged "
            "(the first days of an input are not)", whole=True),
    Setting("billing_day_min_ratio", 0.6, "a billing account's day total must be at least this "
            "share of its baseline (critical: a day half delivered is about 0.5)"),
    Setting("billing_day_max_ratio", 3.0, "a billing account's day total above this multiple "
            "of its baseline is a warning (purchases and month-start fees can be real)"),
    Setting("usage_day_min_ratio", 0.3, "a metric's day total must be at least this share of "
            "its baseline (critical: a metric that stops reporting is 0; weekends are about "
            "0.6 in the generated data)"),
    Setting("usage_day_max_ratio", 5.0, "a metric's day total above this multiple of its "
            "baseline is a warning (usage reported twice)"),
    Setting("known_customers_mostly", 0.99, "share of telemetry records that must name a "
            "customer of customers.csv (critical)"),
    Setting("charges_inside_period_mostly", 0.99, "share of billing rows whose charge period "
            "must lie inside their billing period (warning)"),
    Setting("money_readable_mostly", 0.99, "share of written cost values (EffectiveCost, "
            "BilledCost, ListCost) that must read as a number (warning)"),
    Setting("unattributed_goal", 0.05, "largest share of a month's bill that may stay "
            "unattributed for want of data (critical); idle capacity, unused commitment and a "
            "fixed rule's remainder are policy, not missing data, and do not count"),
    Setting("month_change_factor", 3.0, "a customer's cost per day of cost may move by at most "
            "this factor (up or down) from the previous month (warning)"),
    Setting("statement_tolerance", 0.01, "largest difference between a statement line (in "
            "cents) and its ledger amount"),
)

#: Reasons of unattributed cost that a rule or the Kubernetes split chooses on purpose (see
#: dbt_project.yml, cpc_unattributed_reasons): they do not count against unattributed_goal.
POLICY_REASONS: tuple[str, ...] = ("idle", "unused_commitment", "fixed_remainder")

DEFAULTS: dict[str, float] = {setting.name: setting.default for setting in SETTINGS}


def resolve(overrides: list[str] | None) -> dict[str, float]:
    """The defaults with ``NAME=VALUE`` overrides applied (a one-line UserError for a bad one)."""
    values = dict(DEFAULTS)
    by_name = {setting.name: setting for setting in SETTINGS}
    for item in overrides or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or name not in by_name:
            known = ", ".join(by_name)
            raise UserError(f"--set {item}: expected NAME=VALUE with NAME one of {known}")
        try:
            value = float(text)
        except ValueError as exc:
            raise UserError(f"--set {item}: '{text.strip()}' is not a number") from exc
        setting = by_name[name]
        if value < 0 or (setting.whole and value != int(value)):
            kind = "a whole number" if setting.whole else "a number"
            raise UserError(f"--set {item}: {name} must be {kind} of at least 0")
        if (name.endswith("_mostly") or name == "unattributed_goal") and value > 1:
            raise UserError(f"--set {item}: {name} is a share, between 0 and 1")
        values[name] = int(value) if setting.whole else value
    if values["min_trailing_days"] > values["trailing_days"]:
        raise UserError("--set: min_trailing_days cannot exceed trailing_days")
    return values

"""The validated rule set (what dbt receives) and the names and limits the loaders share."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from cpc.errors import UserError
from cpc.rules.project import (
    DEFAULT_FX_MAX_GAP_DAYS,
    DEFAULT_LOOKBACK_DAYS,
    DEFAULT_MAX_UNATTRIBUTED_SHARE,
    KUBERNETES_DEFAULTS,
    RECONCILIATION_DEFAULTS,
)

#: The snake_case FOCUS charge columns a ``match`` predicate may reference.
ALLOWED_COLUMNS: tuple[str, ...] = (
    "billing_account_id",
    "billing_account_name",
    "billing_currency",
    "charge_category",
    "charge_class",
    "charge_description",
    "charge_frequency",
    "commitment_discount_category",
    "commitment_discount_id",
    "commitment_discount_status",
    "commitment_discount_type",
    "consumed_unit",
    "pricing_category",
    "pricing_unit",
    "provider_name",
    "publisher_name",
    "invoice_issuer_name",
    "region_id",
    "region_name",
    "availability_zone",
    "resource_id",
    "resource_name",
    "resource_type",
    "service_category",
    "service_subcategory",
    "service_name",
    "sku_id",
    "sku_price_id",
    "sub_account_id",
    "sub_account_name",
    "billed_cost",
    "effective_cost",
    "list_cost",
    "consumed_quantity",
    "pricing_quantity",
)

#: The numeric columns among :data:`ALLOWED_COLUMNS`; all others are text.
NUMERIC_COLUMNS: frozenset[str] = frozenset(
    {"billed_cost", "effective_cost", "list_cost", "consumed_quantity", "pricing_quantity"}
)

#: The pseudo-column for the UTC day being allocated, and the column it renders as.
CHARGE_DATE_COLUMN = "charge_date"
CHARGE_DATE_SQL_COLUMN = "cost_date"

#: Text pseudo-columns a predicate may use, and the charge-day columns they render as:
#: ``category`` the project's cost category, ``pool`` the pool other_costs.csv names.
PSEUDO_COLUMNS: dict[str, str] = {"category": "cost_category", "pool": "pool_name"}

#: Prefix of the column a ``tag('key')`` reference renders as (see :func:`tag_column`).
TAG_COLUMN_PREFIX = "tag__"

#: Methods that are planned but not implemented yet (rejected with a specific message).
FUTURE_METHODS: tuple[str, ...] = ()

#: SQL dialects a ``match`` predicate can be rendered for.
DIALECTS: tuple[str, ...] = ("duckdb", "spark")

#: Customer tag key used when the file does not set one.
DEFAULT_CUSTOMER_TAG_KEY = "customer_id"

#: Keys allowed at the top level of ``allocation.yml``.
TOP_LEVEL_KEYS: tuple[str, ...] = (
    "customer_tag_key", "reporting_currency", "fx_max_gap_days", "max_unattributed_share", "kubernetes",
    "privacy", "reconciliation", "incremental", "surcharges", "rules",
)

#: The ``privacy:`` settings and their defaults (docs/allocation.md, "Privacy").
PRIVACY_DEFAULTS: dict[str, bool] = {"pseudonymize_customers": False}

#: Keys a surcharge may have.
SURCHARGE_KEYS: tuple[str, ...] = (
    "name", "match", "rate", "region_rates", "category", "effective_from", "effective_to",
    "description",
)

#: The largest ``fx_max_gap_days`` accepted (a rate older than a year is not a rate of the day).
MAX_FX_GAP_DAYS = 366

#: Keys every rule may have, whatever its method.
COMMON_RULE_KEYS: tuple[str, ...] = (
    "name",
    "method",
    "match",
    "effective_from",
    "effective_to",
    "description",
)

#: The further keys each method accepts.
METHOD_KEYS: dict[str, tuple[str, ...]] = {
    "tag": (),
    "usage": ("metric", "across_services"),
    "even": ("scope",),
    "weighted": ("weights", "default_weight", "scope"),
    "fixed": ("shares", "remainder"),
    "revenue": ("scope",),
    "proportional_to_cost": ("basis",),
}

#: Keys allowed in a rule (each method accepts the common ones plus its own).
RULE_KEYS: tuple[str, ...] = (
    *COMMON_RULE_KEYS[:3],
    "metric",
    "across_services",
    "weights",
    "default_weight",
    "shares",
    "remainder",
    "scope",
    "basis",
    *COMMON_RULE_KEYS[3:],
)

#: The only value ``remainder`` accepts (on ``fixed`` rules).
REMAINDER_UNATTRIBUTED = "unattributed"

#: Tolerance when checking that ``fixed`` shares add up to 1.
SHARES_TOLERANCE = 1e-9

#: The dialect user-written ``match`` predicates are read in.
READ_DIALECT = "duckdb"

_TAG_KEY_MAX = 128
_TAG_FUNCTION_KEY_RE = re.compile(r"[A-Za-z0-9_.:/ -]+")
_SLUG_RE = re.compile(r"[^a-z0-9]+")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_JINJA_MARKERS = ("{{", "{%", "{#")

#: A mapping emitted to dbt, kept as ordered pairs so rules stay hashable.
Pairs = tuple[tuple[str, float], ...]


@dataclasses.dataclass(frozen=True)
class Rule:
    """One validated allocation rule.

    Attributes:
        name: Unique rule name (``[A-Za-z0-9_-]+``).
        method: One of :data:`METHODS`.
        match_sql: The predicate rendered for the target dialect and wrapped in
            parentheses; ``"true"`` when the rule has no ``match`` (a match that is just
            TRUE/FALSE also renders bare, as ``true``/``false``).
        metric: Usage metric for ``usage`` rules; None means the service's only metric
            (always None for other methods).
        effective_from: First charge day the rule applies to (inclusive), or None.
        effective_to: Charge day from which the rule no longer applies (exclusive), or None.
        position: 1-based position in the rule list (rules are tried in this order).
        match: The predicate as the user wrote it, or None.
        description: Optional free text from the file.
        version: First 12 hex digits of the sha256 of :attr:`definition` without the window
            (``effective_from``, ``effective_to``): how the rule allocates, not when.
        basis: ``proportional_to_cost`` only: the basis predicate as written, or None.
        basis_sql: ``basis`` rendered like ``match_sql``; None means "follow all cost placed
            by direct rules on the same day and billing account".
        weights_segment: ``weighted`` only: (normalized segment, weight) pairs.
        weights_customer: ``weighted`` only: (customer id as written, weight) pairs.
        default_weight: ``weighted`` only: weight of customers not listed (1.0 otherwise).
        shares: ``fixed`` only: (customer id as written, fraction) pairs.
        remainder_unattributed: ``fixed`` only: the shares may add up to less than 1 and
            the rest stays unattributed.
        scope_segments: Normalized segments whose customers may receive (empty: any).
        scope_customers: Customer ids (as written) who may receive (empty: any).
        tag_keys: The ``tag('key')`` keys the rule's match and basis use, in order.
        across_services: ``usage`` only: the metric's telemetry of every service counts.
        definition: Canonical JSON of the rule as written (without position and
            description); what :attr:`version` hashes.
    """

    name: str
    method: str
    match_sql: str
    metric: str | None
    effective_from: dt.date | None
    effective_to: dt.date | None
    position: int
    match: str | None = None
    description: str | None = None
    version: str = ""
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
    definition: str = ""

    def to_dbt_var(self) -> dict[str, Any]:
        """Return the rule as a plain JSON-able dict for the ``cpc_rules`` dbt variable.

        Every key is always present (None, ``{}``, ``[]``, ``False`` or ``1.0`` when it
        does not apply to the rule's method), so the SQL can rely on them.
        """
        return {
            "name": self.name,
            "method": self.method,
            "match_sql": self.match_sql,
            "metric": self.metric,
            "effective_from": _iso(self.effective_from),
            "effective_to": _iso(self.effective_to),
            "position": self.position,
            "version": self.version,
            "basis_sql": self.basis_sql,
            "weights_segment": {key: float(value) for key, value in self.weights_segment},
            "weights_customer": {key: float(value) for key, value in self.weights_customer},
            "default_weight": float(self.default_weight),
            "shares": {key: float(value) for key, value in self.shares},
            "remainder_unattributed": bool(self.remainder_unattributed),
            "scope_segments": list(self.scope_segments),
            "scope_customers": list(self.scope_customers),
            "across_services": bool(self.across_services),
        }


@dataclasses.dataclass(frozen=True)
class Surcharge:
    """One validated surcharge (``surcharges:`` in allocation.yml).

    Attributes:
        name: Unique surcharge name; the surcharge's charges carry it as their pool.
        match_sql: The predicate rendered for the target dialect (``"true"`` without one).
        rate: Fraction of a matching charge added as the surcharge, or None (then only the
            regions of ``region_rates`` are surcharged).
        region_rates: (region_id as written, fraction) pairs; a listed region's rate wins.
        category: The surcharge's cost category, or None for the charge's own.
        effective_from: First charge start day surcharged (inclusive), or None.
        effective_to: Charge start day from which it no longer applies (exclusive), or None.
        position: 1-based position in the list.
        match: The predicate as written, or None.
        description: Optional free text.
        tag_keys: The ``tag('key')`` keys the match uses.
    """

    name: str
    match_sql: str
    rate: float | None
    region_rates: Pairs
    category: str | None
    effective_from: dt.date | None
    effective_to: dt.date | None
    position: int
    match: str | None = None
    description: str | None = None
    tag_keys: tuple[str, ...] = ()

    def to_dbt_var(self) -> dict[str, Any]:
        """Return the surcharge as a plain dict for the ``cpc_surcharges`` dbt variable."""
        return {
            "name": self.name,
            "match_sql": self.match_sql,
            "rate": self.rate,
            "region_rates": {key: float(value) for key, value in self.region_rates},
            "category": self.category,
            "effective_from": _iso(self.effective_from),
            "effective_to": _iso(self.effective_to),
            "position": self.position,
            "tag_keys": [{"key": key, "column": tag_column(key)} for key in self.tag_keys],
        }


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """A validated, ordered set of allocation rules.

    Attributes:
        customer_tag_key: The resource tag key holding the customer id.
        rules: The rules, in the order they are tried.
        source: ``"default"`` or the path of the allocation file (as given).
        content_hash: sha256 hex of the file bytes, or of a canonical JSON of the
            default rules.
        dialect: The dialect the ``match_sql`` predicates were rendered for.
        tag_keys: The distinct ``tag('key')`` keys used by all rules, in order of first
            use (keys differing only in letter case count once, spelt as first used).
        reporting_currency: The upper-case ISO code amounts are reported in, or None for
            the dbt variable ``cpc_default_currency``.
        fx_max_gap_days: Days a published exchange rate is carried forward.
        max_unattributed_share: The share of a month's bill (0 to 1) that may stay unattributed
            before ``cpc build`` warns (fails with ``--strict``).
        kubernetes: The ``kubernetes:`` settings, defaults filled in (KUBERNETES_DEFAULTS).
        surcharges: The ``surcharges:``, in order.
        reconciliation: The ``reconciliation:`` settings, defaults filled in
            (RECONCILIATION_DEFAULTS): ``tolerance`` and ``units`` (telemetry metric -> billed unit).
        lookback_days: ``incremental: {lookback_days: N}``: changed telemetry of a day more than N
            days before the input's latest day is reported, not allocated again, by an
            incremental build (``cpc build --reprocess-from`` allocates it).
        pseudonymize_customers: ``privacy: {pseudonymize_customers: true}``: the build keeps a
            mapping to pseudonyms (keyed with the CPC_SALT environment variable) and the
            dashboards, published marts and docs site show pseudonyms, not ids or names.
    """

    customer_tag_key: str
    rules: list[Rule]
    source: str
    content_hash: str
    dialect: str = READ_DIALECT
    tag_keys: tuple[str, ...] = ()
    reporting_currency: str | None = None
    fx_max_gap_days: int = DEFAULT_FX_MAX_GAP_DAYS
    max_unattributed_share: float = DEFAULT_MAX_UNATTRIBUTED_SHARE
    kubernetes: dict[str, Any] = dataclasses.field(default_factory=lambda: dict(KUBERNETES_DEFAULTS))
    surcharges: tuple[Surcharge, ...] = ()
    pseudonymize_customers: bool = False
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    reconciliation: dict[str, Any] = dataclasses.field(
        default_factory=lambda: {"tolerance": RECONCILIATION_DEFAULTS["tolerance"],
                                 "units": dict(RECONCILIATION_DEFAULTS["units"])}
    )

    def to_dbt_vars(self) -> dict[str, Any]:
        """Return the dbt project variables describing this rule set (JSON-able).

        ``cpc_rule_tag_keys`` lists ``{"key": ..., "column": ...}`` for every tag the
        predicates reference: the SQL provides column ``column`` holding the value of the
        resource tag ``key`` (matched case-insensitively, ignoring a provider prefix).
        """
        return {
            "cpc_customer_tag_key": self.customer_tag_key,
            "cpc_rules": [rule.to_dbt_var() for rule in self.rules],
            "cpc_rules_hash": self.content_hash,
            "cpc_rule_tag_keys": [{"key": key, "column": tag_column(key)} for key in self.tag_keys],
            "cpc_reporting_currency": self.reporting_currency,
            "cpc_fx_max_gap_days": self.fx_max_gap_days,
            "cpc_kubernetes_cpu_hourly_price": self.kubernetes["cpu_hourly_price"],
            "cpc_kubernetes_ram_gib_hourly_price": self.kubernetes["ram_gib_hourly_price"],
            "cpc_kubernetes_share_idle": self.kubernetes["share_idle"],
            "cpc_surcharges": [surcharge.to_dbt_var() for surcharge in self.surcharges],
            "cpc_reconciliation_tolerance": self.reconciliation["tolerance"],
            "cpc_reconciliation_units": dict(self.reconciliation["units"]),
            "cpc_lookback_days": self.lookback_days,
        }


def tag_column(key: str) -> str:
    """The column name a ``tag('key')`` reference renders as: ``tag__<slug>``.

    The slug is the key lower-cased, every run of characters outside ``[a-z0-9]``
    replaced by ``_``, leading and trailing ``_`` removed (``Cost Center`` ->
    ``tag__cost_center``).
    """
    return TAG_COLUMN_PREFIX + _SLUG_RE.sub("_", key.lower()).strip("_")


def normalize_segment(name: str) -> str:
    """Normalize a segment name the way the staging does: trimmed, lower-case, ' ' -> '-'."""
    return name.strip().replace(" ", "-").lower()


def _check_dialect(dialect: str) -> None:
    """Reject dialects we cannot render for."""
    if dialect not in DIALECTS:
        raise UserError(f"unsupported SQL dialect {dialect!r} (supported: {', '.join(DIALECTS)})")


def _iso(value: dt.date | None) -> str | None:
    """Format a date as YYYY-MM-DD, passing None through."""
    return value.isoformat() if value is not None else None

"""Allocation rules: how shared cloud cost is attributed to customers.

Users describe the allocation in ``allocation.yml``::

    customer_tag_key: customer_id          # optional, default "customer_id"
    reporting_currency: USD                 # optional, default var cpc_default_currency (USD)
    fx_max_gap_days: 7                      # optional, default 7
    kubernetes:                             # optional: how node cost splits (docs/kubernetes.md)
      share_idle: none                      # none | even | weighted
    surcharges:                             # optional: new cost derived from charges
      - name: eu-data-residency             # (docs/allocation.md "Regional charges")
        match: "region_id like 'eu-%'"
        rate: 0.08
        category: security
    rules:                                  # in order; for each charge-day the first
      - name: tagged                        # rule that matches AND can place it wins
        method: tag
      - name: compute-by-cpu
        match: "service_category = 'Compute'"
        method: usage
        metric: cpu_core_hours
      - name: egress-by-customer-egress
        match: "charge_description ilike '%data transfer%'"
        method: usage
        metric: egress_gb
        across_services: true
      - name: data-team
        match: "tag('team') = 'data' and charge_date >= date '2024-06-01'"
        method: weighted
        weights:
          segment: {enterprise: 3, mid-market: 1}
        default_weight: 0.5
        scope: {segments: [enterprise, mid-market, smb]}
      - name: support-contract
        match: "service_name = 'AWS Support (Business)'"
        method: fixed
        shares: {acme: 0.6, globex: 0.3}
        remainder: unattributed
      - name: platform
        match: "service_name = 'AWS CloudTrail'"
        method: revenue
        effective_from: 2024-01-01          # inclusive; effective_to is exclusive
      - name: taxes
        match: "charge_category in ('Tax', 'Credit')"
        method: proportional_to_cost
        basis: "service_category = 'Compute'"

The file is validated strictly (unknown keys, keys that do not fit the method, bad methods,
unsafe or unknown SQL are rejected with one-line :class:`~cpc.errors.UserError` messages)
and handed to dbt as project variables (see :meth:`RuleSet.to_dbt_vars`); the SQL models
loop over the rules in Jinja. Names used in rules (metrics, customers, segments) are
checked against the landed data by :func:`check_references` before dbt runs.

Top-level keys
--------------
``customer_tag_key``
    The resource tag naming the customer (default ``customer_id``).
``reporting_currency``
    The ISO 4217 code (three letters, case-insensitive) every amount is converted to and
    reported in. Without it, the dbt variable ``cpc_default_currency`` (USD) is used.
``fx_max_gap_days``
    How many days a rate of ``fx_rates.csv`` is carried forward to days without one: a
    whole number from 0 to :data:`MAX_FX_GAP_DAYS` (default :data:`DEFAULT_FX_MAX_GAP_DAYS`).
``kubernetes``
    Optional mapping for the Kubernetes node cost split (docs/kubernetes.md):
    ``cpu_hourly_price`` and ``ram_gib_hourly_price`` (positive numbers per core-hour and per
    GiB-hour; their ratio splits a node's cost into CPU and RAM; defaults
    :data:`KUBERNETES_DEFAULTS`, OpenCost's default prices) and ``share_idle`` (``none``: idle
    stays unattributed; ``even`` / ``weighted``: shared among the node's customers).
``surcharges``
    Optional list of surcharges: cost the company adds on top of matching charges, such as a
    data-residency premium per region. Each becomes a charge of its own (same period,
    account, service, region, resource and tags as the charge it is derived from; amounts =
    the charge's times the rate), which the rules then allocate like any charge: by default
    it follows its charge, and a rule can single it out with ``pool = '<name>'``. Keys:
    ``name`` (required, unique, like a rule name); ``match`` (optional predicate over the
    charge, in the language below, without ``charge_date``); ``rate`` (a fraction > 0 of
    the charge) and/or ``region_rates`` (region_id -> fraction; the region's rate wins, and
    with ``region_rates`` alone only the listed regions are surcharged); ``category``
    (optional cost category of the surcharge, default the charge's); ``effective_from`` /
    ``effective_to`` (compared with the day the charge period starts); ``description``.
``rules``
    The list of rules (below).

Rule keys
---------
``name``
    Required, unique (case-insensitively), ``[A-Za-z0-9_-]+``, at most 64 characters.
``method``
    Required, one of :data:`METHODS`:

    * ``tag`` -- the charge carries the customer tag (``customer_tag_key``).
    * ``usage`` -- split by each customer's usage of ``metric``.
    * ``even`` -- split evenly across the customers.
    * ``weighted`` -- split by fixed weights per segment or per customer.
    * ``fixed`` -- split by fixed fractions per customer.
    * ``revenue`` -- split by each customer's revenue in the charge's month.
    * ``proportional_to_cost`` -- split in proportion to the cost already attributed.
``match``
    Optional SQL condition over the snake_case FOCUS columns in :data:`ALLOWED_COLUMNS`,
    ``charge_date`` (the UTC day being allocated), ``tag('key')`` (a resource tag's
    value), ``category`` (the charge's cost category, lower-case: compute, storage,
    database, network, observability, security, support, engineering, overhead, other) and
    ``pool`` (the ``pool`` other_costs.csv gives a cost; NULL elsewhere), see
    :data:`PSEUDO_COLUMNS`. Only columns, string/number literals, ``date 'YYYY-MM-DD'``,
    TRUE/FALSE/NULL, comparisons (``= <> != < <= > >=``), AND/OR/NOT, parentheses,
    ``[NOT] IN (literals)``, ``[NOT] LIKE``/``ILIKE 'pattern'``, ``IS [NOT] NULL`` and
    ``charge_date [NOT] BETWEEN date 'a' AND date 'b'`` are accepted. The condition is
    parsed (DuckDB syntax), checked, and re-rendered for the target dialect. Without
    ``match`` a rule matches every charge.
``metric``
    Only for ``usage``: the telemetry metric to split by (``[A-Za-z0-9_.:-]+``). When
    omitted the metric is None, meaning "the service's only telemetry metric".
``across_services``
    Only for ``usage`` (and then ``metric`` is required): ``true`` counts the metric's
    telemetry of every service, not only the charge's own, still matched at the charge's
    resource, then region, then overall. This is how egress billed under one service
    (data transfer) is split by each customer's egress (``egress_gb``) in that region.
``weights`` / ``default_weight``
    Only for ``weighted``: ``weights`` holds exactly one of ``segment:`` or ``customer:``,
    a mapping of segment name / customer id to a weight (a number >= 0);
    ``default_weight`` (>= 0, default 1) is the weight of customers not listed.
``shares`` / ``remainder``
    Only for ``fixed``: ``shares`` maps customer id to a fraction (0 < f <= 1). The
    fractions must add up to 1, unless ``remainder: unattributed`` is given, in which case
    they may add up to less and the rest stays unattributed.
``scope``
    Only for ``even``, ``weighted`` and ``revenue``: a mapping with ``segments:`` and/or
    ``customers:`` lists; only customers in a listed segment or listed by id receive.
``basis``
    Only for ``proportional_to_cost``: a condition in the same language as ``match``
    choosing which already-allocated cost is followed. Without it, the cost placed by
    direct rules on the same day and billing account is followed.
``effective_from`` / ``effective_to``
    Optional ISO dates (``YYYY-MM-DD``); ``effective_from`` is inclusive,
    ``effective_to`` exclusive.
``description``
    Optional free text, for people.

Segment names are compared lower-case with spaces as dashes (``Mid Market`` is
``mid-market``), as the staging normalizes them; customer ids are compared
case-insensitively. Every rule gets a ``version``: a short hash of its own definition,
so editing one rule changes only that rule's version (see :func:`diff_rules`).

Default rules
-------------
Used when no ``allocation.yml`` is given (customer tag key ``customer_id``):

1. ``tagged`` -- method ``tag``; match
   ``commitment_discount_status is null or commitment_discount_status <> 'Unused'``.
2. ``usage-by-service`` -- method ``usage``, metric None (the service's only telemetry
   metric); same match (unused commitments are excluded).
3. ``taxes-and-credits`` -- method ``proportional_to_cost``; match
   ``charge_category in ('Tax', 'Credit')``.

Everything else stays unattributed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from cpc.errors import UserError

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

#: Allocation methods, in the order they are documented.
METHODS: tuple[str, ...] = (
    "tag",
    "usage",
    "even",
    "weighted",
    "fixed",
    "revenue",
    "proportional_to_cost",
)

#: Methods that are planned but not implemented yet (rejected with a specific message).
FUTURE_METHODS: tuple[str, ...] = ()

#: SQL dialects a ``match`` predicate can be rendered for.
DIALECTS: tuple[str, ...] = ("duckdb", "spark")

#: Customer tag key used when the file does not set one.
DEFAULT_CUSTOMER_TAG_KEY = "customer_id"

#: Keys allowed at the top level of ``allocation.yml``.
TOP_LEVEL_KEYS: tuple[str, ...] = (
    "customer_tag_key", "reporting_currency", "fx_max_gap_days", "kubernetes", "surcharges", "rules"
)

#: The project's cost categories (macro cost_categories); a surcharge's ``category`` is one.
COST_CATEGORIES: tuple[str, ...] = (
    "compute", "storage", "database", "network", "observability", "security", "support",
    "engineering", "overhead", "other",
)

#: Keys a surcharge may have.
SURCHARGE_KEYS: tuple[str, ...] = (
    "name", "match", "rate", "region_rates", "category", "effective_from", "effective_to",
    "description",
)

#: The ``kubernetes:`` settings and their defaults: OpenCost's default CPU and RAM prices
#: (configs/default.json of opencost/opencost) and idle kept unattributed.
KUBERNETES_DEFAULTS: dict[str, Any] = {
    "cpu_hourly_price": 0.031611,
    "ram_gib_hourly_price": 0.004237,
    "share_idle": "none",
}

#: What ``kubernetes: share_idle`` accepts.
SHARE_IDLE_MODES: tuple[str, ...] = ("none", "even", "weighted")

#: Days a published exchange rate is carried forward when the file does not say.
DEFAULT_FX_MAX_GAP_DAYS = 7

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

_NOT_UNUSED_COMMITMENT = (
    "commitment_discount_status is null or commitment_discount_status <> 'Unused'"
)

#: The default rules as they would be written in allocation.yml.
_DEFAULT_SPEC: dict[str, Any] = {
    "customer_tag_key": DEFAULT_CUSTOMER_TAG_KEY,
    "rules": [
        {"name": "tagged", "method": "tag", "match": _NOT_UNUSED_COMMITMENT},
        {"name": "usage-by-service", "method": "usage", "match": _NOT_UNUSED_COMMITMENT},
        {
            "name": "taxes-and-credits",
            "method": "proportional_to_cost",
            "match": "charge_category in ('Tax', 'Credit')",
        },
    ],
}

_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
_NAME_MAX = 64
_METRIC_RE = re.compile(r"[A-Za-z0-9_.:-]+")
_TAG_KEY_RE = re.compile(r"[\w .:/=+@-]+")
_TAG_KEY_MAX = 128
_TAG_FUNCTION_KEY_RE = re.compile(r"[A-Za-z0-9_.:/ -]+")
_SLUG_RE = re.compile(r"[^a-z0-9]+")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_NUMBER_RE = re.compile(r"(\d*)(?:\.(\d*))?([eE][+-]?\d+)?")
_UNSAFE_NAME_RE = re.compile(r"['\"\\`\x00-\x1f\x7f]")
_ID_MAX = 256
_JINJA_MARKERS = ("{{", "{%", "{#")
_ALLOWED_SUMMARY = (
    "columns, tag('key'), charge_date, literals, date 'YYYY-MM-DD', comparisons, "
    "AND/OR/NOT, IN, LIKE, IS NULL"
)
_SNIPPET_MAX = 60
_KNOWN_LIST_MAX = 8
_VERSION_LENGTH = 12

_COMPARISONS: tuple[type[exp.Expression], ...] = (
    exp.EQ,
    exp.NEQ,
    exp.LT,
    exp.LTE,
    exp.GT,
    exp.GTE,
)

#: A mapping emitted to dbt, kept as ordered pairs so rules stay hashable.
Pairs = tuple[tuple[str, float], ...]

#: Validates a customer id or segment name read from YAML (value, label) -> name.
_NameCheck = Callable[[Any, str], str]


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
        version: First 12 hex digits of the sha256 of :attr:`definition`.
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
        kubernetes: The ``kubernetes:`` settings, defaults filled in (KUBERNETES_DEFAULTS).
        surcharges: The ``surcharges:``, in order.
    """

    customer_tag_key: str
    rules: list[Rule]
    source: str
    content_hash: str
    dialect: str = READ_DIALECT
    tag_keys: tuple[str, ...] = ()
    reporting_currency: str | None = None
    fx_max_gap_days: int = DEFAULT_FX_MAX_GAP_DAYS
    kubernetes: dict[str, Any] = dataclasses.field(default_factory=lambda: dict(KUBERNETES_DEFAULTS))
    surcharges: tuple[Surcharge, ...] = ()

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
            "cpc_rules_source": self.source,
            "cpc_rule_tag_keys": [{"key": key, "column": tag_column(key)} for key in self.tag_keys],
            "cpc_reporting_currency": self.reporting_currency,
            "cpc_fx_max_gap_days": self.fx_max_gap_days,
            "cpc_kubernetes_cpu_hourly_price": self.kubernetes["cpu_hourly_price"],
            "cpc_kubernetes_ram_gib_hourly_price": self.kubernetes["ram_gib_hourly_price"],
            "cpc_kubernetes_share_idle": self.kubernetes["share_idle"],
            "cpc_surcharges": [surcharge.to_dbt_var() for surcharge in self.surcharges],
        }


class _Problem(Exception):
    """A validation problem, phrased without the file/rule context."""


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


# --------------------------------------------------------------------------- loading


def default_rules(dialect: str = READ_DIALECT) -> RuleSet:
    """Return the built-in rule set (see the module docstring) rendered for ``dialect``."""
    _check_dialect(dialect)
    canonical = json.dumps(_DEFAULT_SPEC, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return _build(
        _DEFAULT_SPEC, where="default rules", source="default", digest=digest, dialect=dialect
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


def _check_dialect(dialect: str) -> None:
    """Reject dialects we cannot render for."""
    if dialect not in DIALECTS:
        raise UserError(f"unsupported SQL dialect {dialect!r} (supported: {', '.join(DIALECTS)})")


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate keys and reports bad dates with a line number."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing duplicate keys."""
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # unhashable: the base constructor reports it
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        """Build a date/datetime, turning impossible dates into a marked YAML error."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as err:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date {node.value!r} ({err})", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.Node) -> Any:
        """Build an int that remembers how it was written (so id ``012345`` keeps its zero)."""
        value = _YamlInt(super().construct_yaml_int(node))
        value.source = str(node.value)
        return value


class _YamlInt(int):
    """An int read from YAML, with the text it was written as (``source``)."""

    source: str


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)


def _parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text, turning every failure into a one-line UserError."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = f" line {mark.line + 1}:" if mark is not None else ""
        problem = err.problem or err.context or "invalid YAML"
        raise UserError(_one_line(f"{where}:{line} invalid YAML: {problem}")) from None
    except yaml.YAMLError as err:
        raise UserError(_one_line(f"{where}: invalid YAML: {err}")) from None
    except RecursionError:
        raise UserError(f"{where}: invalid YAML: nested too deeply") from None
    except Exception as err:  # noqa: BLE001 - never show a traceback for a bad file
        raise UserError(_one_line(f"{where}: invalid YAML: {err}")) from None


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
    kubernetes = _kubernetes(data.get("kubernetes"), where)
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
        kubernetes=kubernetes,
        surcharges=surcharges,
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


def _surcharges(value: Any, where: str, dialect: str) -> tuple[Surcharge, ...]:
    """Validate ``surcharges:``: a list of surcharge mappings (see the module docstring)."""
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


def _region_id(value: Any, label: str) -> str:
    """Validate a region id used as a key of ``region_rates`` (checked like customer ids)."""
    if not isinstance(value, str):
        raise _Problem(f"region id {_show(value)} in {label} must be text, not {_type_name(value)}")
    _check_name(value, "region id", label)
    return value


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
        version=hashlib.sha256(definition.encode("utf-8")).hexdigest()[:_VERSION_LENGTH],
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


def _match(
    item: dict[str, Any], fail: Callable[[str], UserError], dialect: str, what: str
) -> tuple[str | None, str, tuple[str, ...]]:
    """Validate ``match``: the text as written, its rendered SQL (``true`` without one), tag keys."""
    match = item.get("match")
    if "match" in item and match is None:
        raise fail("match is empty; remove it to match every charge")
    if match is None:
        return None, "true", ()
    if not isinstance(match, str):
        raise fail(f"match must be a SQL condition written as text, not {_type_name(match)}")
    try:
        match_sql, tag_keys = _compile(match, dialect, what)
    except _Problem as problem:
        raise fail(str(problem)) from None
    return match, match_sql, tag_keys


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


def _fmt(number: float) -> str:
    """A number for messages: short, without float noise."""
    return f"{number:.12g}"


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


# --------------------------------------------------------------------------- predicates


def compile_match(text: str, dialect: str = READ_DIALECT) -> str:
    """Validate a ``match`` predicate and render it, parenthesised, for ``dialect``.

    The predicate is read as DuckDB SQL, checked against the allowed grammar (see the
    module docstring) and rebuilt from scratch, so only whitelisted syntax reaches dbt.
    Columns come out lower-case and unquoted; ``charge_date`` comes out as ``cost_date``,
    ``category`` as ``cost_category``, ``pool`` as ``pool_name``,
    ``tag('key')`` as the column :func:`tag_column` names, date literals as
    ``CAST('YYYY-MM-DD' AS DATE)``; a bare TRUE/FALSE comes out as ``true``/``false``
    without parentheses (Spark would read ``WHERE (TRUE)`` after a table name as a
    column-alias list). ``basis`` predicates use the same language.

    Raises:
        UserError: When the predicate is not allowed (one line, without file context).
    """
    _check_dialect(dialect)
    if not isinstance(text, str):
        raise UserError(f"match must be text, not {_type_name(text)}")
    try:
        return _compile(text, dialect)[0]
    except _Problem as problem:
        raise UserError(_one_line(str(problem))) from None


def _compile(text: str, dialect: str, what: str = "match") -> tuple[str, tuple[str, ...]]:
    """Parse, check, rebuild and render one predicate; raise _Problem when not allowed.

    Returns the rendered SQL and the ``tag('key')`` keys it uses, in order of use.
    """
    if not text.strip():
        if what == "match":
            raise _Problem("match is empty; remove it to match every charge")
        raise _Problem(f"{what} is empty; remove it")
    for marker in _JINJA_MARKERS:
        if marker in text:
            raise _Problem(f"{marker!r} is not allowed in {what} (no Jinja templating)")
    try:
        tokens = sqlglot.Dialect.get_or_raise(READ_DIALECT).tokenize(text)
    except TokenError:
        raise _Problem(
            f"could not read {what} {_show(text)} (unterminated string or stray character?)"
        ) from None
    except Exception:  # noqa: BLE001 - junk must never produce a traceback
        raise _Problem(f"could not read {what} {_show(text)}") from None
    for token in tokens:
        if token.comments:
            raise _Problem(f"comments are not allowed in {what}")
        if token.token_type == TokenType.SEMICOLON:
            raise _Problem(f"';' is not allowed in {what}: write one condition, not statements")
    try:
        statements = [s for s in sqlglot.parse(text, read=READ_DIALECT) if s is not None]
    except ParseError as err:
        raise _Problem(_parse_error(err, what)) from None
    except RecursionError:
        raise _Problem(f"{what} is nested too deeply") from None
    except Exception:  # noqa: BLE001 - junk must never produce a traceback
        raise _Problem(f"{what} {_show(text)} is not a valid SQL condition") from None
    if len(statements) != 1:
        raise _Problem(f"{what} must be a single SQL condition")
    checker = _Checker(what)
    try:
        tree = checker.condition(statements[0])
    except RecursionError:
        raise _Problem(f"{what} is nested too deeply") from None
    return _render(tree, dialect, what), _unique_keys(checker.tag_keys)


def _render(tree: exp.Expression, dialect: str, what: str = "match") -> str:
    """Render a checked tree for ``dialect`` and make sure it reads back identically."""
    try:
        sql = tree.sql(dialect=dialect, comments=False)
        again = _plain_casts(sqlglot.parse_one(sql, read=dialect))
    except Exception:  # noqa: BLE001 - a rendering bug must still be a clean error
        raise _Problem(f"{what} could not be rendered for {dialect}") from None
    if again != tree:
        raise _Problem(f"{what} does not render unambiguously for {dialect}: {_show(sql)}")
    for marker in _JINJA_MARKERS:
        if marker in sql:
            raise _Problem(f"{marker!r} is not allowed in {what} (no Jinja templating)")
    core = tree
    while isinstance(core, exp.Paren):
        core = core.this
    if isinstance(core, exp.Boolean):
        # Bare, because Spark reads "FROM t WHERE (TRUE)" as a column-alias list.
        return "true" if core.this else "false"
    return f"({sql})"


def _plain_casts(tree: exp.Expression) -> exp.Expression:
    """Re-read casts as plain casts (sqlglot reads Spark's CAST as a TryCast)."""

    def plain(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Cast):
            return exp.Cast(this=node.this, to=node.to)
        return node

    return tree.transform(plain)


def _parse_error(err: ParseError, what: str = "match") -> str:
    """Summarise a sqlglot ParseError as one line."""
    if err.errors:
        first = err.errors[0]
        description = str(first.get("description") or "syntax error")
        if "Required keyword" in description or "<class" in description:
            description = "incomplete condition"
        highlight = str(first.get("highlight") or "").strip()
        near = f" near {_show(highlight)}" if highlight else ""
        return f"{what} is not a valid SQL condition: {description}{near}"
    return f"{what} is not a valid SQL condition"


def _date_literal(text: str) -> exp.Expression:
    """The portable date literal ``CAST('YYYY-MM-DD' AS DATE)`` for a valid ISO date."""
    return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("date"))


def _string_literal(node: exp.Expression) -> str | None:
    """The text of a (possibly parenthesised) string literal, else None."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string and isinstance(node.this, str):
        return node.this
    return None


def _is_tag_call(node: exp.Expression) -> bool:
    """Whether ``node`` is a call of the ``tag(...)`` pseudo-function."""
    return (
        isinstance(node, exp.Anonymous)
        and isinstance(node.this, str)
        and node.this.lower() == "tag"
    )


class _Checker:
    """Rebuilds a parsed predicate from whitelisted node types only.

    ``condition`` handles boolean positions, ``value`` handles operands; each returns a
    fresh tree built from scratch (no comments, metadata or unexpected arguments), and
    ``value`` also returns the operand's kind: ``"text"``, ``"number"``, ``"date"`` or
    ``"null"``. ``tag_keys`` collects the keys of the ``tag('key')`` calls seen.
    """

    def __init__(self, what: str = "match") -> None:
        """Check a predicate written for ``what`` (``match`` or ``basis``)."""
        self.what = what
        self.tag_keys: list[str] = []

    def condition(self, node: exp.Expression) -> exp.Expression:
        """Check and rebuild a node in a boolean position."""
        if isinstance(node, exp.Paren):
            self._only(node, "this")
            return exp.Paren(this=self.condition(node.this))
        if isinstance(node, (exp.And, exp.Or)):
            self._only(node, "this", "expression")
            return type(node)(
                this=self.condition(node.this), expression=self.condition(node.expression)
            )
        if isinstance(node, exp.Not):
            self._only(node, "this")
            return exp.Not(this=self.condition(node.this))
        if isinstance(node, exp.Boolean):
            self._only(node, "this")
            return exp.Boolean(this=bool(node.this))
        if isinstance(node, _COMPARISONS):
            return self._comparison(node)
        if isinstance(node, exp.In):
            return self._in(node)
        if isinstance(node, (exp.Like, exp.ILike)):
            return self._like(node)
        if isinstance(node, exp.Is):
            return self._is(node)
        if isinstance(node, exp.Between):
            return self._between(node)
        if isinstance(node, exp.Alias):
            raise _Problem(
                f"unexpected {_show(node.alias)} after {_show(_snippet(node.this))} in "
                f"{self.what} (missing AND/OR, or text without 'single quotes'?)"
            )
        if isinstance(node, exp.Null):
            raise _Problem("NULL on its own is not a condition; use 'column IS NULL'")
        if isinstance(node, (exp.Column, exp.Literal)) or _is_tag_call(node):
            raise _Problem(
                f"{_show(_snippet(node))} is not a condition; compare it, e.g. "
                "service_name = 'Amazon EC2'"
            )
        raise self._not_allowed(node)

    def value(self, node: exp.Expression) -> tuple[exp.Expression, str]:
        """Check and rebuild an operand; return it with its kind."""
        if isinstance(node, exp.Paren):
            self._only(node, "this")
            inner, kind = self.value(node.this)
            return exp.Paren(this=inner), kind
        if isinstance(node, exp.Column):
            return self._column(node)
        if isinstance(node, exp.Literal):
            return self._literal(node)
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
            self._only(node, "this")
            literal, kind = self._literal(node.this)
            if kind != "number":
                raise self._not_allowed(node)
            return exp.Neg(this=literal), kind
        if isinstance(node, exp.Null):
            return exp.Null(), "null"
        if isinstance(node, exp.Boolean):
            raise _Problem(
                f"{_show(_snippet(node))} can only be used as a whole condition, not compared"
            )
        if _is_tag_call(node):
            return self._tag(node)
        if isinstance(node, exp.Cast):
            return self._cast(node)
        raise self._not_allowed(node)

    def _comparison(self, node: exp.Expression) -> exp.Expression:
        """Rebuild ``a <op> b`` after checking both operands have compatible kinds."""
        self._only(node, "this", "expression")
        left, left_kind = self.value(node.this)
        right, right_kind = self.value(node.expression)
        if "null" in (left_kind, right_kind):
            raise _Problem(f"{_show(_snippet(node))} is never true; use 'IS NULL' / 'IS NOT NULL'")
        left, left_kind = self._as_date(left, left_kind, right_kind)
        right, right_kind = self._as_date(right, right_kind, left_kind)
        self._same_kind(node, left_kind, right_kind)
        return type(node)(this=left, expression=right)

    def _in(self, node: exp.In) -> exp.Expression:
        """Rebuild ``a [NOT] IN (literal, ...)``."""
        self._only(node, "this", "expressions")
        left, left_kind = self.value(node.this)
        items: list[exp.Expression] = []
        for item in node.expressions:
            if isinstance(item, exp.Null):
                raise _Problem(
                    f"NULL in an IN list never matches (and breaks NOT IN); "
                    f"use 'IS NULL' instead: {_show(_snippet(node))}"
                )
            if not isinstance(item, (exp.Literal, exp.Neg, exp.Cast)):
                raise _Problem(
                    f"{_show(_snippet(item))} is not allowed in an IN list (literals only)"
                )
            rebuilt, kind = self.value(item)
            rebuilt, kind = self._as_date(rebuilt, kind, left_kind)
            self._same_kind(node, left_kind, kind)
            items.append(rebuilt)
        if not items:
            raise _Problem(f"{_show(_snippet(node))}: the IN list is empty")
        return exp.In(this=left, expressions=items)

    def _between(self, node: exp.Between) -> exp.Expression:
        """Rebuild ``charge_date BETWEEN date 'a' AND date 'b'`` (dates only)."""
        self._only(node, "this", "low", "high")
        left, left_kind = self.value(node.this)
        if left_kind != "date":
            raise self._not_allowed(node)
        bounds: list[exp.Expression] = []
        for bound in (node.args.get("low"), node.args.get("high")):
            if not isinstance(bound, (exp.Literal, exp.Cast, exp.Paren)):
                raise _Problem(f"{_show(_snippet(node))}: BETWEEN needs date 'YYYY-MM-DD' bounds")
            rebuilt, kind = self.value(bound)
            rebuilt, kind = self._as_date(rebuilt, kind, left_kind)
            self._same_kind(node, left_kind, kind)
            bounds.append(rebuilt)
        return exp.Between(this=left, low=bounds[0], high=bounds[1])

    def _like(self, node: exp.Expression) -> exp.Expression:
        """Rebuild ``a [NOT] LIKE|ILIKE 'pattern'`` (text operand, literal pattern)."""
        self._only(node, "this", "expression", "negate")
        left, left_kind = self.value(node.this)
        pattern = node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise _Problem(
                f"{_show(_snippet(node))}: the LIKE pattern must be a 'quoted' text literal"
            )
        if "\\" in pattern.this:
            raise _Problem(
                f"{_show(_snippet(node))}: backslashes in LIKE patterns are not allowed "
                "(DuckDB and Spark treat them differently)"
            )
        if left_kind not in ("text", "null"):
            raise _Problem(f"{_show(_snippet(node))}: LIKE needs text, not a {left_kind}")
        kwargs: dict[str, Any] = {"this": left, "expression": exp.Literal.string(pattern.this)}
        if node.args.get("negate"):
            kwargs["negate"] = True
        return type(node)(**kwargs)

    def _is(self, node: exp.Is) -> exp.Expression:
        """Rebuild ``a IS [NOT] NULL``."""
        self._only(node, "this", "expression", "negate")
        if not isinstance(node.expression, exp.Null):
            raise self._not_allowed(node)
        left, _kind = self.value(node.this)
        rebuilt = exp.Is(this=left, expression=exp.Null())
        return exp.Not(this=rebuilt) if node.args.get("negate") else rebuilt

    def _column(self, node: exp.Column) -> tuple[exp.Expression, str]:
        """Rebuild an unqualified, known column as a lower-case unquoted identifier."""
        if any(node.args.get(part) for part in ("table", "db", "catalog")):
            raise _Problem(
                f"qualified column {_show(_snippet(node))} is not allowed in {self.what}; "
                "use the bare column name"
            )
        self._only(node, "this")
        ident = node.this
        if not isinstance(ident, exp.Identifier) or not isinstance(ident.this, str):
            raise self._not_allowed(node)
        self._only(ident, "this", "quoted")
        name = ident.this.lower()
        if name == CHARGE_DATE_COLUMN:
            if self.what == "surcharge match":
                raise _Problem(
                    "charge_date is not available in a surcharge match: a surcharge applies to "
                    "whole charges; use effective_from / effective_to"
                )
            return exp.column(CHARGE_DATE_SQL_COLUMN, quoted=False), "date"
        if name in PSEUDO_COLUMNS:
            return exp.column(PSEUDO_COLUMNS[name], quoted=False), "text"
        if name not in ALLOWED_COLUMNS:
            known = (*ALLOWED_COLUMNS, CHARGE_DATE_COLUMN, *PSEUDO_COLUMNS)
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = (
                f"; did you mean {', '.join(close)}?"
                if close
                else f"; allowed columns: {', '.join(known)}, and tag('key') for a tag's value"
            )
            quoted = (
                " (text values need 'single quotes', not \"double quotes\")"
                if ident.args.get("quoted")
                else ""
            )
            raise _Problem(f"unknown column {_show(ident.this)} in {self.what}{quoted}{hint}")
        kind = "number" if name in NUMERIC_COLUMNS else "text"
        return exp.column(name, quoted=False), kind

    def _tag(self, node: exp.Expression) -> tuple[exp.Expression, str]:
        """Rebuild ``tag('key')`` as the text column :func:`tag_column` names."""
        self._only(node, "this", "expressions")
        args = node.expressions
        usage = "tag() takes one tag key in 'single quotes', e.g. tag('team')"
        if len(args) != 1 or _string_literal(args[0]) is None or isinstance(args[0], exp.Paren):
            raise _Problem(f"{_show(_snippet(node))} is not allowed in {self.what}: {usage}")
        self._only(args[0], "this", "is_string")
        key = args[0].this
        if not key or len(key) > _TAG_KEY_MAX or not _TAG_FUNCTION_KEY_RE.fullmatch(key):
            raise _Problem(
                f"tag key {_show(key)} in {self.what} is not allowed: use letters, digits, "
                f"spaces and _ . : / - only, at most {_TAG_KEY_MAX} characters"
            )
        column = tag_column(key)
        if column == TAG_COLUMN_PREFIX:
            raise _Problem(f"tag key {_show(key)} in {self.what} needs a letter or digit")
        self.tag_keys.append(key)
        return exp.column(column, quoted=False), "text"

    def _cast(self, node: exp.Cast) -> tuple[exp.Expression, str]:
        """Rebuild ``date 'YYYY-MM-DD'`` (also written ``cast('...' as date)``)."""
        self._only(node, "this", "to")
        target = node.to
        text = _string_literal(node.this)
        if (
            not isinstance(target, exp.DataType)
            or target.this != exp.DataType.Type.DATE
            or isinstance(node.this, exp.Paren)
            or text is None
        ):
            raise self._not_allowed(node)
        self._only(target, "this", "nested")
        self._only(node.this, "this", "is_string")
        return _date_literal(self._iso_date(text)), "date"

    def _as_date(
        self, node: exp.Expression, kind: str, other_kind: str
    ) -> tuple[exp.Expression, str]:
        """Read a text literal compared with a date as a date literal."""
        text = _string_literal(node)
        if other_kind != "date" or kind != "text" or text is None:
            return node, kind
        return _date_literal(self._iso_date(text)), "date"

    def _iso_date(self, text: str) -> str:
        """Check ``text`` is a valid ``YYYY-MM-DD`` date and return it."""
        if _DATE_RE.fullmatch(text):
            try:
                dt.date.fromisoformat(text)
            except ValueError as err:
                raise _Problem(
                    f"{_show(text)} in {self.what} is not a valid date ({err})"
                ) from None
            return text
        raise _Problem(
            f"{_show(text)} in {self.what} is not a date; write date 'YYYY-MM-DD' "
            "(charge_date is compared with dates)"
        )

    def _literal(self, node: exp.Literal) -> tuple[exp.Expression, str]:
        """Rebuild a string or number literal."""
        self._only(node, "this", "is_string")
        value = node.this
        if not isinstance(value, str):
            raise self._not_allowed(node)
        if node.is_string:
            if "\x00" in value:
                raise _Problem(f"NUL characters are not allowed in {self.what}")
            return exp.Literal.string(value), "text"
        match = _NUMBER_RE.fullmatch(value)
        if not match or not (match.group(1) or match.group(2)):
            raise self._not_allowed(node)
        whole, fraction, exponent = match.group(1) or "0", match.group(2), match.group(3)
        number = whole + (f".{fraction}" if fraction else "") + (exponent or "")
        return exp.Literal.number(number), "number"

    @staticmethod
    def _same_kind(node: exp.Expression, left: str, right: str) -> None:
        """Refuse comparing different kinds (DuckDB fails at run time, Spark silently)."""
        if "null" in (left, right) or left == right:
            return
        if "date" in (left, right):
            other = right if left == "date" else left
            raise _Problem(
                f"{_show(_snippet(node))} compares a date with "
                f"{'a number' if other == 'number' else 'text'} (compare charge_date with "
                "date 'YYYY-MM-DD')"
            )
        raise _Problem(
            f"{_show(_snippet(node))} compares text with a number (text values need "
            f"'single quotes'; numeric columns {', '.join(sorted(NUMERIC_COLUMNS))} "
            "need plain numbers)"
        )

    def _only(self, node: exp.Expression, *allowed: str) -> None:
        """Refuse nodes carrying arguments outside ``allowed`` (e.g. IN (subquery))."""
        for key, value in node.args.items():
            if key not in allowed and value not in (None, False, [], ""):
                raise self._not_allowed(node)

    def _not_allowed(self, node: exp.Expression) -> _Problem:
        """The generic "not allowed" problem for ``node``."""
        return _Problem(
            f"{_show(_snippet(node))} is not allowed in {self.what} (allowed: {_ALLOWED_SUMMARY})"
        )


# --------------------------------------------------------------------------- references


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


# --------------------------------------------------------------------------- diff


def diff_rules(old: RuleSet, new: RuleSet) -> list[str]:
    """Describe how ``new`` differs from ``old``, one human-readable line per change.

    Rules are matched by name (case-insensitively). Lines say which rules were removed,
    added, changed (their version differs; the changed keys are named) or re-ordered
    (moved relative to the rules kept), and whether ``customer_tag_key``,
    ``reporting_currency`` or ``fx_max_gap_days`` changed.
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
        if before.version != rule.version:
            keys = _changed_keys(before, rule)
            what = f" ({', '.join(keys)})" if keys else ""
            lines.append(
                f"changed: rule '{rule.name}'{what}: version {before.version} -> {rule.version}"
            )
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


# --------------------------------------------------------------------------- helpers


def _snippet(node: Any) -> str:
    """A short SQL rendering of ``node`` for error messages."""
    if not isinstance(node, exp.Expression):
        return str(node)
    try:
        text = node.sql(dialect=READ_DIALECT, normalize_functions="lower", comments=False)
    except Exception:  # noqa: BLE001 - best effort, for messages only
        text = type(node).__name__
    return text or type(node).__name__


def _show(value: Any) -> str:
    """Quote a user value for a one-line message, shortened if long."""
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")
    if len(text) > _SNIPPET_MAX:
        text = text[: _SNIPPET_MAX - 3] + "..."
    return f"'{text}'"


def _one_line(message: str) -> str:
    """Collapse a message onto one line."""
    return " ".join(message.split())


def _type_name(value: Any) -> str:
    """Describe a YAML value's type in user terms."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, dt.date):
        return "a date"
    if value is None:
        return "empty"
    return type(value).__name__


def _did_you_mean(value: Any, options: tuple[str, ...]) -> str:
    """Suggest the closest option to a misspelt key or method."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value.lower(), options, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _iso(value: dt.date | None) -> str | None:
    """Format a date as YYYY-MM-DD, passing None through."""
    return value.isoformat() if value is not None else None

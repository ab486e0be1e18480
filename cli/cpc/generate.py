"""Deterministic demo data: a SaaS company's FOCUS cloud bill, its telemetry and the ground truth.

The generator simulates one SaaS company running on AWS. Customers consume shared infrastructure
(an autoscaled EC2 cluster, shared databases, a shared bucket, CDN, functions, logs, a shared
Kubernetes cluster) and, for enterprise and mid-market customers, dedicated tagged resources. It
writes the project's raw input contract::

    billing/focus-YYYY-MM.{csv,csv.gz,parquet}  FOCUS 1.2 rows, one file per calendar month
    usage/usage-YYYY-MM.{csv,csv.gz,parquet}    usage_date, customer_id, metric, quantity,
                                                service_name, region_id, sub_account_id
    k8s_usage/k8s-usage-YYYY-MM.{csv,csv.gz,parquet}  one row per pod and UTC day: interval_start,
                     interval_end, cluster_id, node_id, namespace, pod, cpu_request_cores,
                     cpu_usage_cores, memory_request_bytes, memory_usage_bytes, node_cpu_cores,
                     node_memory_bytes
    k8s_namespaces.csv  cluster_id, namespace, customer_id (every namespace but `monitoring`)
    fx_rates.csv     date, currency, rate: USD per EUR on the days a rate was published
    customers.csv    customer_id, customer_name, segment, region, active_from, active_to
    revenue.csv      customer_id, month, revenue, currency
    support_tickets.csv  ticket_id, customer_id, opened_at, handle_minutes, agent_tier
    support_rates.csv    agent_tier, hourly_rate, currency, effective_from, effective_to
    other_costs.csv  cost_id, description, category, amount, currency, incurred_date,
                     amortization_months, customer_id, pool: costs outside the cloud bill
    allocation.yml   demo allocation rules (one usage rule per shared service)
    ground_truth.csv customer_id, month, true_cost: what each customer really drove

The EU billing account (eu-west-1) is invoiced in EUR: its rows say ``BillingCurrency`` EUR and
carry euro amounts from the provider's euro price list, which is the dollar list x 0.92
(EUR_PRICE_LIST_FACTOR); its tax and credits are computed in euros. fx_rates.csv publishes the
EUR rate (USD per EUR; the reporting currency is USD) with 4 decimals on weekdays, except the
fixed-date TARGET closing days (1 January, 1 May, 25 and 26 December), from ten days before the
window to its end: a mean-reverting random walk around 1.08 (about 0.4 % a day). A weekend or
closing day takes the last earlier rate, at most four days old (within the default
fx_max_gap_days of 7).

The shared Kubernetes cluster (``prod-use1``, in us-east-1, so billed in USD) runs on 3 or 4
on-demand EC2 nodes (m6i.xlarge, 2xlarge or 4xlarge, sized for its tenants), billed one row per
node and UTC day with ResourceId = the instance id; k8s_usage names each node by its providerID
(``aws:///us-east-1a/i-0...``), which the pipeline matches by its last path segment. About 10 % of
the customers (non-free customers of the USD account's regions, at most 300) are tenants with
one namespace each (``tenant-<customer_id>``) and 1 to 3 pods by segment; their requests fill
about 70 % of the cluster's CPU and 65 % of its memory, their daily usage follows the customer's
compute activity (some pods run above their request), and their pods run only on the customer's
active days. A ``monitoring`` DaemonSet pod on every node serves no customer and is deliberately
left out of k8s_namespaces.csv; the capacity nobody requested is idle.

Telemetry measures each customer's consumption of the *shared* services only (dedicated
resources are identified by their ``customer_id`` tag, Kubernetes tenants by k8s_usage). It
carries a little noise (lognormal, sigma 0.05) and about 1 % of its rows lost the customer id.

Support tickets are opened by active customers (heavy-tailed volume by segment, enterprise most,
free very few) and handled by agents of three tiers (tier1, tier2, engineer) whose hourly rates
are in support_rates.csv; the engineer rate rises in the middle of the window (``effective_to``
is exclusive and empty when open). About 2 % of the tickets name deleted customers.

The ground truth is in USD. Every row is simulated in list dollars and written in its account's
currency (list dollars x the price-list factor), so its true USD cost is its amount converted
the way the pipeline converts it: each UTC day of the charge at the rate in effect that day
(the day's published rate, else the last earlier one). Hourly and daily rows lie in one day; the
monthly CloudWatch row is spread evenly over its days, so it is worth its amount times the mean
of its days' rates. Customer truths are these USD amounts split as below, tax and credits are
converted at their day's rate, and so the pipeline's conversion is exact up to rounding (1e-10 a
charge-day). Per customer and day:

* shared EC2 (on-demand and savings-plan covered hours), RDS, S3, CloudFront and Lambda: the
  day's cost of that service in the customer's region times the customer's share of the
  region's true consumption of the service's metric that day;
* CloudWatch (one row per region and month): the month's cost times the customer's share of
  the region's log volume in that month;
* dedicated tagged resources: their owner;
* Kubernetes nodes: split by the documented rule (docs/kubernetes.md) with the demo settings
  (OpenCost's default CPU and RAM prices, share_idle none): a node-day's cost splits into CPU and
  RAM by the ratio of its capacity at those prices; each tenant's pods are charged
  max(request, usage) of cores and memory, as the values k8s_usage writes, as their share of the
  node's capacity; idle capacity and the unmapped ``monitoring`` namespace belong to nobody (the
  pipeline leaves them unattributed as ``idle`` and ``unmapped_namespace``);
* tax and credits: split over the customers of the billing account by their share of that
  account-day's attributed cost;
* the demo's surcharge (allocation.yml: a 5 % data-residency premium on every charge in
  eu-west-1, DATA_RESIDENCY_RATE): the rate times the customer's cost there before tax, since
  it follows the charges it is derived from (tax and credit rows carry no region);
* unused commitment, CloudTrail and resources tagged with unknown (deleted) customers belong
  to nobody;
* support: each ticket costs handle_minutes / 60 x the hourly rate of its tier in effect on the
  ticket's UTC date (effective_from <= date < effective_to); it adds to its customer's month
  (tickets of deleted customers belong to nobody).

Other costs (other_costs.csv) are engineering salaries (booked on the 15th of each month and
amortized from there), a hardware purchase (on 29 February when the window has one), security and
compliance licences and audits, developer-tool licences, and a few costs naming their customer
(dedicated security hardware and integration work for the largest customers, and one for a deleted
customer). Each is amortized over whole months, fitted so that its schedule ends inside the window
(so its ground truth is complete); category spellings vary (Engineering, Compliance, hardware,
licence) and one amount is written "$1,234.00". Their ground truth follows the demo rules, which
are the company's policy for them: a cost naming a known customer is that customer's (a deleted
customer's belongs to nobody); engineering is split by the customers' revenue in the month of each
day; the `platform` pool is split evenly among the customers active that day.

Everything is vectorised with numpy and written with duckdb; the same arguments give
byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cpc.errors import UserError

FORMATS: tuple[str, ...] = ("csv", "csv.gz", "parquet")
MAX_CUSTOMER_DAYS = 20_000_000
GZIP_LEVEL = 1

# --------------------------------------------------------------------------------------------
# The simulated company
# --------------------------------------------------------------------------------------------

SEGMENTS: tuple[str, ...] = ("free", "smb", "mid-market", "enterprise")
SEGMENT_SHARE = np.array([0.50, 0.30, 0.15, 0.05])
SEGMENT_SIZE = np.array([0.2, 1.0, 5.0, 25.0])
#: Monthly list price per unit of customer size (USD); free customers pay nothing.
SEGMENT_PRICE = np.array([0.0, 36.0, 26.0, 30.0])
FREE, SMB, MID, ENT = range(4)


@dataclass(frozen=True)
class Account:
    """A billing account (payer) with the one linked sub-account the workloads run in, and the
    currency it is invoiced in."""

    billing_id: str
    billing_name: str
    sub_id: str
    sub_name: str
    trail_region: int
    currency: str = "USD"


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    account: int
    utc_offset: int
    share: float
    short: str


ACCOUNTS: tuple[Account, ...] = (
    Account("012345678901", "Acme SaaS", "034567890123", "acme-production", 0),
    Account("098765432109", "Acme SaaS EU", "045678901234", "acme-production-eu", 1, "EUR"),
)
REGIONS: tuple[Region, ...] = (
    Region("us-east-1", "US East (N. Virginia)", 0, -5, 0.60, "use1"),
    Region("eu-west-1", "Europe (Ireland)", 1, 0, 0.25, "euw1"),
    Region("ap-southeast-2", "Asia Pacific (Sydney)", 0, 10, 0.15, "apse2"),
)
REGION_ACCOUNT = np.array([r.account for r in REGIONS])

#: The demo's surcharge (allocation.yml `surcharges:`): a data-residency premium on every charge
#: in this region, as a fraction of the charge.
DATA_RESIDENCY_REGION = "eu-west-1"
DATA_RESIDENCY_RATE = 0.05

# Currencies. The reporting currency is USD; the EU account is invoiced in EUR from the
# provider's euro price list, which is its dollar list times EUR_PRICE_LIST_FACTOR.
REPORTING_CURRENCY = "USD"
EUR_PRICE_LIST_FACTOR = 0.92
PRICE_LIST_FACTOR: dict[str, float] = {"USD": 1.0, "EUR": EUR_PRICE_LIST_FACTOR}
#: Per account: what one list dollar of the simulation is in the account's billing currency.
ACCOUNT_FACTOR = np.array([PRICE_LIST_FACTOR[a.currency] for a in ACCOUNTS])
#: fx_rates.csv: EUR in USD, a mean-reverting random walk around FX_CENTER, published on
#: weekdays (not on the fixed-date TARGET closing days) from FX_LEAD_DAYS before the window.
FX_CENTER = 1.08
FX_DAILY_SIGMA = 0.004
FX_REVERSION = 0.03
FX_LEAD_DAYS = 10
FX_CLOSED: frozenset[tuple[int, int]] = frozenset({(1, 1), (5, 1), (12, 25), (12, 26)})

EC2 = "Amazon Elastic Compute Cloud"
RDS = "Amazon Relational Database Service"
S3 = "Amazon Simple Storage Service"
CLOUDFRONT = "Amazon CloudFront"
LAMBDA = "AWS Lambda"
CLOUDWATCH = "Amazon CloudWatch"
CLOUDTRAIL = "AWS CloudTrail"
SAVINGS_PLANS = "Savings Plans for AWS Compute usage"
TAX = "Tax"
SERVICE_CATEGORY: dict[str, str | None] = {
    EC2: "Compute",
    RDS: "Databases",
    S3: "Storage",
    CLOUDFRONT: "Networking",
    LAMBDA: "Compute",
    CLOUDWATCH: "Management and Governance",
    CLOUDTRAIL: "Management and Governance",
    SAVINGS_PLANS: "Compute",
    TAX: None,
}

#: Telemetry metrics: each measures a customer's consumption of one shared service.
METRICS: tuple[str, ...] = (
    "cpu_core_hours",
    "db_cpu_seconds",
    "storage_gb",
    "egress_gb",
    "lambda_gb_seconds",
    "log_gb",
)
METRIC_SERVICE: tuple[str, ...] = (EC2, RDS, S3, CLOUDFRONT, LAMBDA, CLOUDWATCH)
CPU, DB, STORAGE, EGRESS, FUNCS, LOGS = range(6)
#: Mean daily consumption per unit of customer size.
METRIC_RATE = np.array([1.8, 230.0, 40.0, 0.5, 2500.0, 0.06])
#: Which segments use which shared service (rows: segments, columns: metrics). Mid-market and
#: enterprise customers keep their data in their own tagged bucket, so they use no shared storage.
SEGMENT_USES = np.array(
    [
        [True, False, True, True, False, True],
        [True, True, True, True, True, True],
        [True, True, False, True, True, True],
        [True, True, False, True, True, True],
    ]
)

# Prices (USD).
EC2_SHARED_TYPE = "m6i.2xlarge"
EC2_SHARED_VCPU = 8
EC2_TARGET_UTIL = 0.65
EC2_PRICE = {"m6i.xlarge": 0.192, "m6i.2xlarge": 0.384, "m6i.4xlarge": 0.768}
SP_DISCOUNT = 0.35
SP_RATE = round(EC2_PRICE[EC2_SHARED_TYPE] * (1 - SP_DISCOUNT), 10)
RDS_SHARED_TYPE = "db.r6g.xlarge"
RDS_SHARED_VCPU = 4
RDS_TARGET_UTIL = 0.4
RDS_PRICE = {"db.r6g.large": 0.225, "db.r6g.xlarge": 0.449}
S3_PRICE = 0.023  # per GB-month
DEDICATED_GB_PER_SIZE = 15.0
CLOUDFRONT_PRICE = 0.085  # per GB
LAMBDA_PRICE = 0.0000166667  # per GB-second
CLOUDWATCH_PRICE = 0.50  # per GB ingested
CLOUDTRAIL_PRICE = 2.00  # per 100,000 events
TAX_RATE = 0.08

#: Support: agent tiers, their hourly rates (USD) and how often each handles a ticket.
SUPPORT_TIERS: tuple[str, ...] = ("tier1", "tier2", "engineer")
SUPPORT_RATE = np.array([40.0, 65.0, 120.0])
SUPPORT_TIER_P = np.array([0.75, 0.20, 0.05])
#: The engineer rate from the middle of the window on.
ENGINEER_RATE_RAISED = 135.0
ENGINEER = SUPPORT_TIERS.index("engineer")
#: Mean tickets per active customer-day by segment (free, smb, mid-market, enterprise).
SEGMENT_TICKETS = np.array([0.005, 0.015, 0.04, 0.1])  # tickets per active customer-day, by segment
SUPPORT_MINUTES_MEDIAN = 25.0
SUPPORT_UNKNOWN_SHARE = 0.02
SUPPORT_RATES_SINCE = date(2020, 1, 1)

CUSTOMER_TAG_KEYS: tuple[str, ...] = (
    "customer_id",
    "user:customer_id",
    " Customer_ID ",
    "CUSTOMER_ID",
)
CUSTOMER_TAG_KEY_P = np.array([0.76, 0.10, 0.08, 0.06])

BILLING_COLUMNS: tuple[str, ...] = (
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "ContractedCost",
    "ContractedUnitPrice",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountCategory",
    "CommitmentDiscountType",
    "CommitmentDiscountStatus",
    "Tags",
)
USAGE_COLUMNS: tuple[str, ...] = (
    "usage_date",
    "customer_id",
    "metric",
    "quantity",
    "service_name",
    "region_id",
    "sub_account_id",
)
MONEY_COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "ContractedCost",
    "ContractedUnitPrice",
    "ConsumedQuantity",
    "PricingQuantity",
)
SOURCE_COLUMNS = (
    "BillingAccountId",
    "BillingCurrency",
    "BillingAccountName",
    "SubAccountId",
    "SubAccountName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "Tags",
)
LINE_COLUMNS = (
    "ChargeCategory",
    "ChargeDescription",
    "ChargeFrequency",
    "ConsumedUnit",
    "PricingCategory",
    "PricingUnit",
    "SkuId",
    "SkuPriceId",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountCategory",
    "CommitmentDiscountType",
    "CommitmentDiscountStatus",
)
CONSTANT_COLUMNS = {
    "ProviderName": "AWS",
    "PublisherName": "AWS",
    "InvoiceIssuerName": "AWS",
}

ALLOCATION_YML = """\
# Demo allocation rules for the generated data set (written by `cpc generate`); every method once.
# For each charge-day, rules are tried top to bottom: the first whose `match` holds, that is in
# effect that day and that can place the cost wins. `match` is SQL over snake_case FOCUS columns.
customer_tag_key: customer_id
# The EU account is invoiced in EUR: fx_rates.csv converts it, per day, to the reporting currency.
reporting_currency: USD
# The Kubernetes nodes' cost splits among namespaces (k8s_usage/, k8s_namespaces.csv) before the
# rules: CPU and RAM at OpenCost's default prices, each workload by max(request, usage). Idle
# capacity stays visible as unattributed (like unused commitment), and so does `monitoring`.
kubernetes:
  cpu_hourly_price: {k8s_cpu_price}
  ram_gib_hourly_price: {k8s_ram_price}
  share_idle: {k8s_share_idle}
# What runs in the EU carries a data-residency premium the company books on top of the bill (a
# surcharge: a charge of its own beside each EU charge, which follows that charge's allocation).
surcharges:
  - name: eu-data-residency
    match: "region_id = '{residency_region}'"
    rate: {residency_rate}
    category: security
rules:
  - name: tagged
    method: tag
  # Costs outside the cloud bill (other_costs.csv): one naming its customer is placed on it before
  # any rule; engineering follows revenue, the shared platform pool is split evenly.
  - name: engineering-by-revenue
    match: "category = 'engineering'"
    method: revenue
  - name: platform-pool-evenly
    match: "pool = 'platform'"
    method: even
  - name: compute-by-cpu
    match: >-
      service_name = 'Amazon Elastic Compute Cloud'
      and (commitment_discount_status is null or commitment_discount_status <> 'Unused')
    method: usage
    metric: cpu_core_hours
  - name: databases-by-db-cpu
    match: "service_name = 'Amazon Relational Database Service'"
    method: usage
    metric: db_cpu_seconds
  - name: storage-by-gb
    match: "service_name = 'Amazon Simple Storage Service'"
    method: usage
    metric: storage_gb
  # Egress splits by each customer's egress_gb in the charge's region, whichever service
  # reports it (across_services).
  - name: cdn-by-egress
    match: "service_name = 'Amazon CloudFront'"
    method: usage
    metric: egress_gb
    across_services: true
  - name: functions-by-gb-seconds
    match: "service_name = 'AWS Lambda'"
    method: usage
    metric: lambda_gb_seconds
  - name: logs-by-volume
    match: "service_name = 'Amazon CloudWatch'"
    method: usage
    metric: log_gb
  # The EU account's audit trail serves two large EU customers under their contracts.
  - name: eu-audit-trail
    match: "service_name = 'AWS CloudTrail' and billing_account_id = '{eu_account}'"
    method: fixed
    shares: {{{eu_shares}}}
    remainder: unattributed
  # Platform overhead: shared evenly at first, then (a policy change) weighted by segment.
  - name: platform-overhead
    match: "service_name = 'AWS CloudTrail'"
    method: even
    effective_to: {switch_date}
  - name: platform-overhead-weighted
    match: "service_name = 'AWS CloudTrail'"
    method: weighted
    weights:
      segment: {{enterprise: 4, mid-market: 2, smb: 1, free: 0.25}}
    effective_from: {switch_date}
  - name: credits-by-revenue
    match: "charge_category = 'Credit'"
    method: revenue
  - name: taxes-follow-usage
    match: "charge_category in ('Tax', 'Credit')"
    method: proportional_to_cost
    basis: "charge_category = 'Usage'"
"""

_ADJECTIVES = (
    "Blue",
    "Silver",
    "Northern",
    "Bright",
    "Quiet",
    "Rapid",
    "Golden",
    "Crimson",
    "Lucky",
    "Clever",
    "Solid",
    "Open",
    "Green",
    "Urban",
    "Coastal",
    "Prairie",
    "Summit",
    "Iron",
    "Maple",
    "Cedar",
    "Harbor",
    "Pioneer",
    "Vivid",
    "Atlas",
    "Nimble",
    "Polar",
    "Copper",
    "Falcon",
)
_NOUNS = (
    "Labs",
    "Analytics",
    "Logistics",
    "Health",
    "Robotics",
    "Media",
    "Foods",
    "Finance",
    "Studio",
    "Systems",
    "Networks",
    "Energy",
    "Travel",
    "Retail",
    "Learning",
    "Security",
    "Bio",
    "Motors",
    "Games",
    "Insights",
    "Works",
    "Cloud",
    "Data",
    "Freight",
)
_SUFFIXES = (("Inc.", "LLC", "Co."), ("Ltd", "GmbH", "B.V.", "SAS"), ("Pty Ltd", "Ltd"))


@dataclass(frozen=True)
class GenerateSummary:
    """What `generate` wrote."""

    out_dir: Path
    customers: int
    days: int
    billing_rows: int
    usage_rows: int
    files_written: int
    total_effective_cost: float
    total_true_cost: float
    support_tickets: int = 0
    other_costs: int = 0
    kubernetes_rows: int = 0
    fx_rates: int = 0
    files: tuple[Path, ...] = field(default=(), repr=False)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _hex(*parts: object, n: int = 17) -> str:
    """A stable pseudo-random hex string derived from `parts`."""
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:n]


def _sku(*parts: object) -> str:
    digest = hashlib.sha1("|".join(map(str, parts)).encode()).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:16])


def _local_price(usd_price: float, currency: str) -> float:
    """A list price (USD) in the price list of ``currency``."""
    return round(usd_price * PRICE_LIST_FACTOR[currency], 10)


def _price_text(usd_price: float, currency: str, spec: str = "") -> str:
    """A price as a charge description writes it: "$0.384", or "EUR 0.35328"."""
    if currency == "USD":
        return f"${usd_price:{spec}}"
    return f"{currency} " + f"{_local_price(usd_price, currency):.10f}".rstrip("0").rstrip(".")


def _tags(**kv: str) -> str:
    return json.dumps(kv, separators=(",", ":"))


def _quotas(n: int, shares: np.ndarray, at_least_one: bool) -> np.ndarray:
    """Split `n` into integer counts close to `shares` (largest remainder)."""
    raw = n * shares
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    if at_least_one:
        for i in np.flatnonzero(counts == 0):
            counts[int(np.argmax(counts))] -= 1
            counts[i] = 1
    return counts


def _expand(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For intervals [start, end) return (interval index, position) for every integer inside."""
    counts = np.maximum(ends - starts, 0)
    idx = np.repeat(np.arange(len(starts)), counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return idx, starts[idx] + offsets


class _Catalog:
    """Distinct attribute rows (resources or charge kinds) referenced by index from cost rows.

    Per-row string columns are then built as pandas categoricals by integer lookup, which keeps
    millions of rows cheap to build and lets duckdb write the strings.
    """

    def __init__(self, columns: Sequence[str], numbers: Sequence[str] = ()) -> None:
        self.columns = tuple(columns)
        self.numbers = tuple(numbers)
        self.rows: list[dict[str, Any]] = []
        self._index: dict[Hashable, int] = {}
        self._cache: dict[str, tuple[np.ndarray, list[str]]] = {}

    def add(self, key: Hashable, **attrs: Any) -> int:
        if key in self._index:
            return self._index[key]
        unknown = set(attrs) - set(self.columns) - set(self.numbers) - {"meta"}
        if unknown:
            raise ValueError(f"unknown catalog attributes {sorted(unknown)}")
        self._index[key] = len(self.rows)
        self.rows.append(attrs)
        self._cache.clear()
        return len(self.rows) - 1

    def get(self, key: Hashable) -> int:
        return self._index[key]

    def attr(self, column: str) -> list[Any]:
        return [row.get(column) for row in self.rows]

    def codes(self, column: str) -> tuple[np.ndarray, list[str]]:
        if column not in self._cache:
            categories: dict[str, int] = {}
            codes = np.empty(len(self.rows), dtype=np.int32)
            for i, row in enumerate(self.rows):
                value = row.get(column)
                codes[i] = -1 if value is None else categories.setdefault(value, len(categories))
            self._cache[column] = (codes, list(categories))
        return self._cache[column]

    def categorical(self, column: str, idx: np.ndarray) -> pd.Categorical | None:
        codes, categories = self.codes(column)
        if not categories:
            return None
        return pd.Categorical.from_codes(codes[idx], categories=categories)

    def number(self, column: str) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in self.attr(column)], dtype=np.float64)


class _Rows:
    """Cost rows of one month, accumulated block by block as numpy arrays."""

    FIELDS = (
        "h0",
        "h1",
        "src",
        "line",
        "consumed",
        "pricing",
        "billed",
        "effective",
        "list",
        "contracted",
    )

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, **arrays: Any) -> None:
        unknown = set(arrays) - set(self.FIELDS)
        if unknown:
            raise ValueError(f"unknown row fields {sorted(unknown)}")
        sizes = [np.size(a) for a in arrays.values() if np.ndim(a) > 0]
        if 0 in sizes:
            return
        n = max(sizes, default=1)
        block = {}
        for name in self.FIELDS:
            value = arrays.get(name, np.nan)
            dtype = np.int32 if name in ("h0", "h1", "src", "line") else np.float64
            block[name] = np.broadcast_to(np.asarray(value, dtype=dtype), (n,))
        self.parts.append(block)

    def concat(self) -> dict[str, np.ndarray]:
        return {
            name: np.concatenate([p[name] for p in self.parts]) if self.parts else np.empty(0)
            for name in self.FIELDS
        }


def _round(x: np.ndarray | float, places: int = 10) -> np.ndarray:
    return np.round(np.asarray(x, dtype=np.float64), places)


# --------------------------------------------------------------------------------------------
# The world: customers, consumption and infrastructure for the whole window
# --------------------------------------------------------------------------------------------


@dataclass
class _World:
    seed: int
    start: date
    days: int
    n: int
    ids: list[str]
    names: list[str]
    segment: np.ndarray
    size: np.ndarray
    region: np.ndarray
    first: np.ndarray  # first active day index
    last: np.ndarray  # last active day index (inclusive)
    signup: list[date]
    growth: np.ndarray
    revenue_factor: np.ndarray
    uses: np.ndarray  # (customers, metrics)
    consumption: np.ndarray  # (days, customers, metrics) true, noise-free
    dedicated_gb: np.ndarray  # (days, customers) GB in the customer's own bucket
    ec2_running: np.ndarray  # (hours, regions) shared cluster instances running
    commit_instances: int
    rds_shared: np.ndarray  # (regions,) shared DB instance count
    region_active: np.ndarray  # (regions,) bool
    account_active: np.ndarray  # (accounts,) bool
    own_db: np.ndarray
    tag_rng: np.random.Generator
    dedicated_ec2: list[tuple[int, str, int]] = field(default_factory=list)  # (owner, type, src)
    dedicated_rds: list[tuple[int, str, int]] = field(default_factory=list)
    dedicated_s3: dict[int, int] = field(default_factory=dict)  # owner -> src
    orphan_ec2: list[int] = field(default_factory=list)  # src ids
    orphan_s3: list[tuple[int, float]] = field(default_factory=list)  # (src, GB)


def _build_world(customers: int, days: int, seed: int, start: date) -> _World:
    rng = np.random.default_rng([seed, 1])
    n = customers
    counts = _quotas(n, SEGMENT_SHARE, at_least_one=n >= 4)
    segment = rng.permutation(np.repeat(np.arange(4), counts))
    size = SEGMENT_SIZE[segment] * rng.lognormal(0.0, 0.8, n)
    region = rng.choice(len(REGIONS), size=n, p=[r.share for r in REGIONS])
    region[0] = 0  # the commitment lives in us-east-1, so make sure someone runs there

    late = rng.random(n) < 0.10
    first = np.where(late & (days > 1), rng.integers(1, max(days, 2), n), 0)
    churn = rng.random(n) < 0.05
    lo, hi = first, days - 2
    churn_day = lo + np.floor(rng.random(n) * np.maximum(hi - lo + 1, 1)).astype(np.int64)
    last = np.where(churn & (hi >= lo), churn_day, days - 1)
    signup_offset = rng.integers(14, 1500, n)

    growth = rng.normal(0.02, 0.04, n)  # per 30 days
    revenue_factor = rng.lognormal(0.0, 0.35, n)
    mix = rng.lognormal(0.0, 0.35, (n, len(METRICS)))

    uses = SEGMENT_USES[segment].copy()
    ent = np.flatnonzero(segment == ENT)
    own_db = ent[rng.random(len(ent)) < 0.4]
    uses[own_db, DB] = False

    # Every (region, service) that has users keeps at least one customer active all window, so
    # no shared cost is ever left without a consumer to split it over.
    for r in range(len(REGIONS)):
        for m in range(len(METRICS)):
            users = np.flatnonzero(uses[:, m] & (region == r))
            if len(users):
                first[users[0]] = 0
                last[users[0]] = days - 1

    adj = rng.integers(0, len(_ADJECTIVES), n)
    noun = rng.integers(0, len(_NOUNS), n)
    suffix_pick = rng.random(n)
    names = []
    for i in range(n):
        suffixes = _SUFFIXES[region[i]]
        suffix = suffixes[int(suffix_pick[i] * len(suffixes))]
        names.append(f"{_ADJECTIVES[adj[i]]} {_NOUNS[noun[i]]} {suffix}")
    ids = [f"cust-{i + 1:05d}" for i in range(n)]
    # Customers active from day 0 signed up some time before the window.
    signup = [
        start + timedelta(days=int(first[i] if first[i] > 0 else -signup_offset[i]))
        for i in range(n)
    ]

    # Daily activity and true consumption.
    day = np.arange(days)
    weekday = (start.weekday() + day) % 7
    weekend = weekday >= 5
    week_factor = np.where(weekend[:, None], np.where(segment == FREE, 0.9, 0.65)[None, :], 1.0)
    trend = np.exp(growth[None, :] * day[:, None] / 30.0)
    active = (day[:, None] >= first[None, :]) & (day[:, None] <= last[None, :])
    activity = size[None, :] * week_factor * trend * rng.lognormal(0.0, 0.12, (days, n))
    consumption = activity[:, :, None] * (mix * METRIC_RATE)[None, :, :]
    consumption *= rng.lognormal(0.0, 0.06, consumption.shape)
    # Stored data changes slowly: no weekly cycle, no day-to-day noise.
    consumption[:, :, STORAGE] = size * trend * mix[:, STORAGE] * METRIC_RATE[STORAGE]
    consumption *= active[:, :, None] & uses[None, :, :]
    dedicated_gb = np.where(
        active & (segment >= MID)[None, :],
        size[None, :] * trend * mix[None, :, STORAGE] * DEDICATED_GB_PER_SIZE,
        0.0,
    )

    # Autoscaled shared EC2 cluster: instances needed per hour and region.
    onehot = np.zeros((n, len(REGIONS)))
    onehot[np.arange(n), region] = 1.0
    cpu_day = consumption[:, :, CPU] @ onehot  # (days, regions)
    hour_of_day = np.arange(24)
    diurnal = np.empty((24, len(REGIONS)))
    for r, reg in enumerate(REGIONS):
        local = (hour_of_day + reg.utc_offset) % 24
        w = 1.0 + 0.45 * np.cos(2 * np.pi * (local - 14) / 24.0)
        diurnal[:, r] = w / w.sum()
    demand = np.repeat(cpu_day, 24, axis=0) * np.tile(diurnal, (days, 1))
    region_active = onehot.sum(axis=0) > 0
    running = np.maximum(np.ceil(demand / (EC2_SHARED_VCPU * EC2_TARGET_UTIL)), 2)
    running = (running * region_active[None, :]).astype(np.int64)
    commit_instances = max(1, int(np.percentile(running[:, 0], 30)))

    db_day = consumption[:, :, DB] @ onehot
    db_capacity = RDS_SHARED_VCPU * 3600 * 24 * RDS_TARGET_UTIL
    has_db_users = (uses[:, DB][:, None] & (onehot > 0)).any(axis=0)
    rds_needed = np.maximum(1, np.round(db_day.mean(axis=0) / db_capacity))
    rds_shared = np.where(has_db_users, rds_needed, 0)

    account_active = np.zeros(len(ACCOUNTS), dtype=bool)
    account_active[REGION_ACCOUNT[region_active]] = True

    world = _World(
        seed=seed,
        start=start,
        days=days,
        n=n,
        ids=ids,
        names=names,
        segment=segment,
        size=size,
        region=region,
        first=first,
        last=last,
        signup=signup,
        growth=growth,
        revenue_factor=revenue_factor,
        uses=uses,
        consumption=consumption,
        dedicated_gb=dedicated_gb,
        ec2_running=running,
        commit_instances=commit_instances,
        rds_shared=rds_shared.astype(np.int64),
        region_active=region_active,
        account_active=account_active,
        own_db=own_db,
        tag_rng=np.random.default_rng([seed, 2]),
    )
    return world


# --------------------------------------------------------------------------------------------
# Catalogs: resources (where a cost comes from) and line kinds (how it is charged)
# --------------------------------------------------------------------------------------------


def _source(
    sources: _Catalog,
    key: Hashable,
    account: int,
    region: int | None,
    service: str,
    resource_id: str | None = None,
    resource_name: str | None = None,
    resource_type: str | None = None,
    tags: str | None = None,
) -> int:
    acc = ACCOUNTS[account]
    reg = REGIONS[region] if region is not None else None
    return sources.add(
        key,
        BillingAccountId=acc.billing_id,
        BillingCurrency=acc.currency,
        BillingAccountName=acc.billing_name,
        SubAccountId=acc.sub_id,
        SubAccountName=acc.sub_name,
        RegionId=reg.id if reg else None,
        RegionName=reg.name if reg else None,
        ResourceId=resource_id,
        ResourceName=resource_name,
        ResourceType=resource_type,
        ServiceCategory=SERVICE_CATEGORY[service] if service else None,
        ServiceName=service or None,
        Tags=tags,
        meta=(account, region),
    )


def _line(
    lines: _Catalog,
    key: Hashable,
    *,
    category: str,
    frequency: str,
    description: str,
    consumed_unit: str | None = None,
    pricing_unit: str | None = None,
    pricing: str | None = "Standard",
    sku: tuple[object, ...] | None = None,
    list_price: float | None = None,
    contracted_price: float | None = None,
    commitment: dict[str, str] | None = None,
) -> int:
    sku_id = _sku(*sku) if sku else None
    attrs: dict[str, Any] = {
        "ChargeCategory": category,
        "ChargeFrequency": frequency,
        "ChargeDescription": description,
        "ConsumedUnit": consumed_unit,
        "PricingUnit": pricing_unit,
        "PricingCategory": pricing,
        "SkuId": sku_id,
        "SkuPriceId": f"{sku_id}.JRTCKXETXF.6YS6EN2CT7" if sku_id else None,
        "ListUnitPrice": list_price,
        "ContractedUnitPrice": contracted_price,
    }
    attrs.update(commitment or {})
    idx = lines.add(key, **attrs)
    if frequency == "Usage-Based":  # real exports sometimes spell it with a lower-case b
        lines.add(("variant", key), **{**attrs, "ChargeFrequency": "Usage-based"})
    return idx


@dataclass
class _Catalogs:
    sources: _Catalog
    lines: _Catalog
    ec2_shared: list[np.ndarray]  # per region: src index of instance i
    rds_shared: list[np.ndarray]
    commitment: dict[str, str]
    commitment_src: int
    variant: np.ndarray  # line index -> its "Usage-based" twin (or itself)
    src_account: np.ndarray
    src_region: np.ndarray


def _build_catalogs(w: _World, cluster: _Cluster) -> _Catalogs:
    sources = _Catalog(SOURCE_COLUMNS)
    lines = _Catalog(LINE_COLUMNS, numbers=("ListUnitPrice", "ContractedUnitPrice"))
    rng = w.tag_rng
    seed = w.seed

    payer = ACCOUNTS[0]
    sp_id = (
        f"arn:aws:savingsplans::{payer.billing_id}:savingsplan/{_hex(seed, 'sp', n=8)}-"
        f"{_hex(seed, 'sp2', n=4)}-{_hex(seed, 'sp3', n=4)}-{_hex(seed, 'sp4', n=4)}-"
        f"{_hex(seed, 'sp5', n=12)}"
    )
    commitment = {
        "CommitmentDiscountId": sp_id,
        "CommitmentDiscountName": "compute-sp-shared-cluster",
        "CommitmentDiscountCategory": "Spend",
        "CommitmentDiscountType": "Compute Savings Plan",
    }

    ec2_shared: list[np.ndarray] = []
    rds_shared: list[np.ndarray] = []
    for r, reg in enumerate(REGIONS):
        acc = reg.account
        sub = ACCOUNTS[acc].sub_id
        pool = int(w.ec2_running[:, r].max()) if w.region_active[r] else 0
        tagged = rng.random(pool) < 0.5
        ec2_shared.append(
            np.array(
                [
                    _source(
                        sources,
                        ("ec2", r, i),
                        acc,
                        r,
                        EC2,
                        f"i-0{_hex(seed, 'ec2', r, i, n=16)}",
                        f"shared-app-{reg.short}-{i + 1:03d}",
                        "Instance",
                        _tags(team="platform", cluster=f"shared-{reg.id}") if tagged[i] else None,
                    )
                    for i in range(pool)
                ],
                dtype=np.int32,
            )
        )
        rds_shared.append(
            np.array(
                [
                    _source(
                        sources,
                        ("rds", r, i),
                        acc,
                        r,
                        RDS,
                        f"arn:aws:rds:{reg.id}:{sub}:db:shared-pg-{reg.short}-{i + 1:02d}",
                        f"shared-pg-{reg.short}-{i + 1:02d}",
                        "DB Instance",
                        _tags(team="data"),
                    )
                    for i in range(int(w.rds_shared[r]))
                ],
                dtype=np.int32,
            )
        )
        if not w.region_active[r]:
            continue
        _source(
            sources,
            ("s3", r),
            acc,
            r,
            S3,
            f"acme-shared-data-{reg.id}",
            f"acme-shared-data-{reg.id}",
            "Bucket",
        )
        _source(
            sources,
            ("cloudfront", r),
            acc,
            r,
            CLOUDFRONT,
            f"arn:aws:cloudfront::{sub}:distribution/E{_hex(seed, 'cf', r, n=13).upper()}",
            f"app-{reg.short}.acme.example",
            "Distribution",
        )
        _source(
            sources,
            ("lambda", r),
            acc,
            r,
            LAMBDA,
            f"arn:aws:lambda:{reg.id}:{sub}:function:event-workers",
            "event-workers",
            "Function",
            _tags(team="platform"),
        )
        _source(
            sources,
            ("cloudwatch", r),
            acc,
            r,
            CLOUDWATCH,
            f"arn:aws:logs:{reg.id}:{sub}:log-group:/acme/app",
            "/acme/app",
            "Log Group",
        )
        # line kinds, priced in the account's currency
        cur = ACCOUNTS[acc].currency
        ec2_price = EC2_PRICE[EC2_SHARED_TYPE]
        _line(
            lines,
            ("ec2", r, EC2_SHARED_TYPE),
            category="Usage",
            frequency="Usage-Based",
            description=f"{_price_text(ec2_price, cur)} per On Demand Linux {EC2_SHARED_TYPE} "
            "Instance Hour",
            consumed_unit="Hours",
            pricing_unit="Hours",
            sku=("ec2", reg.id, EC2_SHARED_TYPE),
            list_price=_local_price(ec2_price, cur),
            contracted_price=_local_price(ec2_price, cur),
        )
        rds_price = RDS_PRICE[RDS_SHARED_TYPE]
        _line(
            lines,
            ("rds", r, RDS_SHARED_TYPE),
            category="Usage",
            frequency="Usage-Based",
            description=f"{_price_text(rds_price, cur)} per RDS {RDS_SHARED_TYPE} Single-AZ "
            "instance hour running PostgreSQL",
            consumed_unit="Hours",
            pricing_unit="Hours",
            sku=("rds", reg.id, RDS_SHARED_TYPE),
            list_price=_local_price(rds_price, cur),
            contracted_price=_local_price(rds_price, cur),
        )
        _line(
            lines,
            ("s3", r),
            category="Usage",
            frequency="Usage-Based",
            description=f"{_price_text(S3_PRICE, cur)} per GB - first 50 TB / month of storage used",
            consumed_unit="GB-Mo",
            pricing_unit="GB-Mo",
            sku=("s3", reg.id),
            list_price=_local_price(S3_PRICE, cur),
            contracted_price=_local_price(S3_PRICE, cur),
        )
        _line(
            lines,
            ("cloudfront", r),
            category="Usage",
            frequency="Usage-Based",
            description=f"{_price_text(CLOUDFRONT_PRICE, cur)} per GB - first 10 TB / month data "
            "transfer out",
            consumed_unit="GB",
            pricing_unit="GB",
            sku=("cloudfront", reg.id),
            list_price=_local_price(CLOUDFRONT_PRICE, cur),
            contracted_price=_local_price(CLOUDFRONT_PRICE, cur),
        )
        _line(
            lines,
            ("lambda", r),
            category="Usage",
            frequency="Usage-Based",
            description=f"AWS Lambda - Total Compute - {_price_text(LAMBDA_PRICE, cur, '.10f')} "
            "per GB-second",
            consumed_unit="GB-Seconds",
            pricing_unit="GB-Seconds",
            sku=("lambda", reg.id),
            list_price=_local_price(LAMBDA_PRICE, cur),
            contracted_price=_local_price(LAMBDA_PRICE, cur),
        )
        _line(
            lines,
            ("cloudwatch", r),
            category="Usage",
            frequency="Recurring",
            description=f"{_price_text(CLOUDWATCH_PRICE, cur, '.2f')} per GB - custom log data "
            "ingested",
            consumed_unit="GB",
            pricing_unit="GB",
            sku=("cloudwatch", reg.id),
            list_price=_local_price(CLOUDWATCH_PRICE, cur),
            contracted_price=_local_price(CLOUDWATCH_PRICE, cur),
        )
        if r == 0:
            _line(
                lines,
                "ec2-committed",
                category="Usage",
                frequency="Usage-Based",
                description=f"Linux {EC2_SHARED_TYPE} Instance Hour covered by Compute Savings "
                f"Plan at ${SP_RATE}/hour",
                consumed_unit="Hours",
                pricing_unit="Hours",
                pricing="Committed",
                sku=("ec2", reg.id, EC2_SHARED_TYPE),
                list_price=ec2_price,
                contracted_price=ec2_price,
                commitment={**commitment, "CommitmentDiscountStatus": "Used"},
            )
            _line(
                lines,
                "sp-unused",
                category="Usage",
                frequency="Usage-Based",
                description="Unused Compute Savings Plan commitment",
                pricing="Committed",
                sku=("sp", "unused"),
                commitment={**commitment, "CommitmentDiscountStatus": "Unused"},
            )

    commitment_src = _source(
        sources, "sp", 0, None, SAVINGS_PLANS, sp_id, "compute-sp-shared-cluster", "Savings Plan"
    )
    _source(sources, "sp-unused", 0, 0, EC2, sp_id, "compute-sp-shared-cluster", "Savings Plan")
    hourly_fee = round(w.commit_instances * SP_RATE, 10)
    _line(
        lines,
        "sp-purchase",
        category="Purchase",
        frequency="Recurring",
        description=f"1 year No Upfront Compute Savings Plan, ${hourly_fee}/hour commitment",
        pricing_unit="Hours",
        sku=("sp", "purchase"),
        list_price=hourly_fee,
        contracted_price=hourly_fee,
        commitment=commitment,
    )

    for a, acc in enumerate(ACCOUNTS):
        if not w.account_active[a]:
            continue
        reg = REGIONS[acc.trail_region]
        _source(
            sources,
            ("cloudtrail", a),
            a,
            acc.trail_region,
            CLOUDTRAIL,
            f"arn:aws:cloudtrail:{reg.id}:{acc.sub_id}:trail/organization-trail",
            "organization-trail",
            "Trail",
        )
        _source(sources, ("tax", a), a, None, TAX)
        _source(sources, ("credit", a), a, None, "")
        _line(
            lines,
            ("cloudtrail", a),
            category="Usage",
            frequency="Usage-Based",
            description=f"{_price_text(CLOUDTRAIL_PRICE, acc.currency, '.2f')} per 100,000 data "
            "events recorded",
            consumed_unit="Events",
            pricing_unit="100K Events",
            sku=("cloudtrail",),
            list_price=_local_price(CLOUDTRAIL_PRICE, acc.currency),
            contracted_price=_local_price(CLOUDTRAIL_PRICE, acc.currency),
        )
    _line(
        lines,
        "tax",
        category="Tax",
        frequency="Usage-Based",
        description=f"Sales tax ({TAX_RATE:.0%})",
        pricing=None,
    )
    _line(
        lines,
        "credit",
        category="Credit",
        frequency="One-Time",
        description="AWS Activate promotional credit",
        pricing=None,
    )

    # Dedicated, tagged resources.
    def customer_tags(owner_id: str, team: str) -> str:
        key = CUSTOMER_TAG_KEYS[int(rng.choice(len(CUSTOMER_TAG_KEYS), p=CUSTOMER_TAG_KEY_P))]
        return json.dumps({key: owner_id, "env": "production", "team": team}, separators=(",", ":"))

    ent = np.flatnonzero(w.segment == ENT)
    big = w.size[ent] >= (np.median(w.size[ent]) if len(ent) else 0)
    for c, is_big in zip(ent, big, strict=True):
        r = int(w.region[c])
        itype = "m6i.xlarge"
        for k in range(2 if is_big else 1):
            src = _source(
                sources,
                ("ded-ec2", c, k),
                REGIONS[r].account,
                r,
                EC2,
                f"i-0{_hex(seed, 'ded', c, k, n=16)}",
                f"dedicated-worker-{_hex(seed, c, k, n=6)}",
                "Instance",
                customer_tags(w.ids[c], "dedicated"),
            )
            w.dedicated_ec2.append((int(c), itype, src))
    own_db = set(w.own_db.tolist())
    for c in ent:
        if c not in own_db:
            continue
        r = int(w.region[c])
        sub = ACCOUNTS[REGIONS[r].account].sub_id
        name = f"tenant-pg-{_hex(seed, 'db', c, n=6)}"
        src = _source(
            sources,
            ("ded-rds", c),
            REGIONS[r].account,
            r,
            RDS,
            f"arn:aws:rds:{REGIONS[r].id}:{sub}:db:{name}",
            name,
            "DB Instance",
            customer_tags(w.ids[c], "dedicated"),
        )
        w.dedicated_rds.append((int(c), "db.r6g.large", src))
    for c in np.flatnonzero(w.segment >= MID):
        r = int(w.region[c])
        bucket = f"acme-tenant-{_hex(seed, 'bucket', c, n=10)}"
        w.dedicated_s3[int(c)] = _source(
            sources,
            ("ded-s3", c),
            REGIONS[r].account,
            r,
            S3,
            bucket,
            bucket,
            "Bucket",
            customer_tags(w.ids[c], "storage"),
        )
    # Leftovers of customers that no longer exist: tagged, but to nobody we know.
    for k in range(1 + w.n // 4000):
        ghost = f"cust-deleted-{k + 1:02d}"
        w.orphan_ec2.append(
            _source(
                sources,
                ("orphan-ec2", k),
                0,
                0,
                EC2,
                f"i-0{_hex(seed, 'orphan', k, n=16)}",
                f"legacy-worker-{k + 1}",
                "Instance",
                customer_tags(ghost, "dedicated"),
            )
        )
        bucket = f"acme-tenant-{_hex(seed, 'orphan-bucket', k, n=10)}"
        w.orphan_s3.append(
            (
                _source(
                    sources,
                    ("orphan-s3", k),
                    0,
                    0,
                    S3,
                    bucket,
                    bucket,
                    "Bucket",
                    customer_tags(ghost, "storage"),
                ),
                float(200 + 40 * np.sqrt(w.n)),
            )
        )
    for itype, price in EC2_PRICE.items():
        for r, reg in enumerate(REGIONS):
            cur = ACCOUNTS[reg.account].currency
            _line(
                lines,
                ("ec2", r, itype),
                category="Usage",
                frequency="Usage-Based",
                description=f"{_price_text(price, cur)} per On Demand Linux {itype} Instance Hour",
                consumed_unit="Hours",
                pricing_unit="Hours",
                sku=("ec2", reg.id, itype),
                list_price=_local_price(price, cur),
                contracted_price=_local_price(price, cur),
            )
    for r, reg in enumerate(REGIONS):
        cur = ACCOUNTS[reg.account].currency
        price = RDS_PRICE["db.r6g.large"]
        _line(
            lines,
            ("rds", r, "db.r6g.large"),
            category="Usage",
            frequency="Usage-Based",
            description=f"{_price_text(price, cur)} per RDS db.r6g.large Single-AZ instance hour "
            "running PostgreSQL",
            consumed_unit="Hours",
            pricing_unit="Hours",
            sku=("rds", reg.id, "db.r6g.large"),
            list_price=_local_price(price, cur),
            contracted_price=_local_price(price, cur),
        )
        _line(
            lines,
            ("s3", r),
            category="Usage",
            frequency="Usage-Based",
            description=f"{_price_text(S3_PRICE, cur)} per GB - first 50 TB / month of storage used",
            consumed_unit="GB-Mo",
            pricing_unit="GB-Mo",
            sku=("s3", reg.id),
            list_price=_local_price(S3_PRICE, cur),
            contracted_price=_local_price(S3_PRICE, cur),
        )

    # The Kubernetes cluster's nodes: on-demand instances of the USD account, no customer tag.
    reg = REGIONS[K8S_REGION]
    cluster.node_src = np.array(
        [
            _source(
                sources,
                ("k8s-node", j),
                reg.account,
                K8S_REGION,
                EC2,
                node_id,
                f"eks-{K8S_CLUSTER}-node-{j + 1}",
                "Instance",
                json.dumps(
                    {"eks:cluster-name": K8S_CLUSTER, "team": "platform"}, separators=(",", ":")
                ),
            )
            for j, node_id in enumerate(cluster.node_ids)
        ],
        dtype=np.int32,
    )

    variant = np.arange(len(lines.rows), dtype=np.int32)
    for i, row in enumerate(lines.rows):
        if row["ChargeFrequency"] == "Usage-Based":
            key = next(k for k, v in lines._index.items() if v == i)
            variant[i] = lines.get(("variant", key))
    meta = [row["meta"] for row in sources.rows]
    return _Catalogs(
        sources=sources,
        lines=lines,
        ec2_shared=ec2_shared,
        rds_shared=rds_shared,
        commitment=commitment,
        commitment_src=commitment_src,
        variant=variant,
        src_account=np.array([m[0] for m in meta], dtype=np.int64),
        src_region=np.array([-1 if m[1] is None else m[1] for m in meta], dtype=np.int64),
    )


# --------------------------------------------------------------------------------------------
# One month of billing rows and its ground truth
# --------------------------------------------------------------------------------------------


@dataclass
class _Month:
    label: str  # YYYY-MM
    d0: int  # first window day index in this month
    d1: int  # one past the last
    period_start: str
    period_end: str


def _months(start: date, days: int) -> list[_Month]:
    out = []
    d = 0
    while d < days:
        current = start + timedelta(days=d)
        month_start = current.replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        d1 = min(days, (next_month - start).days)
        out.append(
            _Month(
                label=f"{month_start:%Y-%m}",
                d0=d,
                d1=d1,
                period_start=f"{month_start:%Y-%m-%d}T00:00:00Z",
                period_end=f"{next_month:%Y-%m-%d}T00:00:00Z",
            )
        )
        d = d1
    return out


@dataclass
class _MonthResult:
    rows: dict[str, np.ndarray]
    truth: np.ndarray  # (customers,) true cost of the month
    unattributed: float


def _simulate_month(
    w: _World, cat: _Catalogs, cluster: _Cluster, fx: np.ndarray, month: _Month, index: int
) -> _MonthResult:
    """One month's billing rows and each customer's true cost of the month (USD).

    Rows are simulated in list dollars and written in their account's currency (times the
    account's price-list factor); the truth converts them to USD at the rate the pipeline uses
    for each day (``fx``: days x accounts), so it is what the pipeline's conversion gives."""
    rng = np.random.default_rng([w.seed, 3, index])
    d0, d1 = month.d0, month.d1
    nd = d1 - d0
    fx_month = fx[d0:d1]  # (nd, accounts) USD per unit of the billing currency
    conv = fx_month * ACCOUNT_FACTOR[None, :]  # USD per list dollar of the simulation
    hours = np.arange(24 * d0, 24 * d1)
    n_regions = len(REGIONS)
    rows = _Rows()
    lines = cat.lines
    q = w.consumption[d0:d1]  # (nd, customers, metrics)
    # Region totals of true consumption per day and metric.
    onehot = np.zeros((w.n, n_regions))
    onehot[np.arange(w.n), w.region] = 1.0
    totals = np.einsum("dcm,cr->drm", q, onehot)
    shared_cost = np.zeros((nd, n_regions, len(METRICS)))
    dedicated = np.zeros(nd * w.n)  # flattened (day, customer)
    unattributed = 0.0
    usage_cost = np.zeros((nd, len(ACCOUNTS)))  # tax base

    def add_usage(day: np.ndarray, account: int | np.ndarray, cost: np.ndarray) -> None:
        np.add.at(usage_cost, (day, account), cost)

    # --- Shared EC2 cluster (with the savings plan in us-east-1) -----------------------------
    for r in range(n_regions):
        if not w.region_active[r]:
            continue
        running = w.ec2_running[hours, r]
        which, inst = _expand(np.zeros(len(hours), dtype=np.int64), running)
        hour = hours[which]
        src = cat.ec2_shared[r][inst]
        price = EC2_PRICE[EC2_SHARED_TYPE]
        ondemand_line = lines.get(("ec2", r, EC2_SHARED_TYPE))
        if r == 0:
            committed = inst < w.commit_instances
            line = np.where(committed, lines.get("ec2-committed"), ondemand_line)
            billed = np.where(committed, 0.0, price)
            effective = np.where(committed, SP_RATE, price)
        else:
            line = np.full(len(hour), ondemand_line)
            billed = effective = np.full(len(hour), price)
        rows.add(
            h0=hour,
            h1=hour + 1,
            src=src,
            line=line,
            consumed=1.0,
            pricing=1.0,
            billed=billed,
            effective=effective,
            list=price,
            contracted=price,
        )
        day = hour // 24 - d0
        shared_cost[:, r, CPU] += np.bincount(day, weights=effective, minlength=nd)
        add_usage(day, REGIONS[r].account, effective)
        if r == 0:
            unused_n = np.maximum(w.commit_instances - running, 0)
            idle = unused_n > 0
            amount = _round(unused_n[idle] * SP_RATE)
            uh = hours[idle]
            rows.add(
                h0=uh,
                h1=uh + 1,
                src=cat.sources.get("sp-unused"),
                line=lines.get("sp-unused"),
                billed=0.0,
                effective=amount,
                list=0.0,
                contracted=0.0,
            )
            unattributed += float(amount.sum())
            add_usage(uh // 24 - d0, 0, amount)

    # Savings plan purchase: the fee for the hours of this month that are generated.
    fee = _round(w.commit_instances * SP_RATE * len(hours))
    rows.add(
        h0=hours[0],
        h1=hours[-1] + 1,
        src=cat.commitment_src,
        line=lines.get("sp-purchase"),
        pricing=float(len(hours)),
        billed=fee,
        effective=0.0,
        list=fee,
        contracted=fee,
    )

    # --- Dedicated and orphaned instances ------------------------------------------------------
    def hourly_block(
        specs: list[tuple[int, str, int]], kind: str, prices: dict[str, float]
    ) -> None:
        nonlocal unattributed
        if not specs:
            return
        owner = np.array([s[0] for s in specs])
        src = np.array([s[2] for s in specs])
        price = np.array([prices[s[1]] for s in specs])
        line = np.array(
            [
                lines.get((kind, int(w.region[o]) if o >= 0 else 0, s[1]))
                for o, s in zip(owner, specs, strict=True)
            ]
        )
        first = np.where(owner >= 0, w.first[np.maximum(owner, 0)], 0)
        last = np.where(owner >= 0, w.last[np.maximum(owner, 0)], w.days - 1)
        lo = np.maximum(first, d0) * 24
        hi = (np.minimum(last, d1 - 1) + 1) * 24
        which, hour = _expand(lo, hi)
        p = price[which]
        rows.add(
            h0=hour,
            h1=hour + 1,
            src=src[which],
            line=line[which],
            consumed=1.0,
            pricing=1.0,
            billed=p,
            effective=p,
            list=p,
            contracted=p,
        )
        day = hour // 24 - d0
        o = owner[which]
        known = o >= 0
        dedicated[:] += np.bincount(
            day[known] * w.n + o[known], weights=p[known], minlength=nd * w.n
        )
        unattributed += float(p[~known].sum())
        add_usage(day, cat.src_account[src[which]], p)

    orphans = [(-1, "m6i.xlarge", s) for s in w.orphan_ec2]
    hourly_block(w.dedicated_ec2 + orphans, "ec2", EC2_PRICE)

    # --- Shared and dedicated databases --------------------------------------------------------
    for r in range(n_regions):
        count = int(w.rds_shared[r])
        if count == 0:
            continue
        which, hour = _expand(np.full(count, 24 * d0), np.full(count, 24 * d1))
        price = RDS_PRICE[RDS_SHARED_TYPE]
        rows.add(
            h0=hour,
            h1=hour + 1,
            src=cat.rds_shared[r][which],
            line=lines.get(("rds", r, RDS_SHARED_TYPE)),
            consumed=1.0,
            pricing=1.0,
            billed=price,
            effective=price,
            list=price,
            contracted=price,
        )
        shared_cost[:, r, DB] += price * count * 24
        add_usage(np.arange(nd), REGIONS[r].account, np.full(nd, price * count * 24))
    hourly_block(w.dedicated_rds, "rds", RDS_PRICE)

    # --- Daily rows: storage, CDN, functions ---------------------------------------------------
    day_start = np.arange(d0, d1) * 24
    days_in_month = np.array(
        [_days_in_month(w.start + timedelta(days=int(d))) for d in range(d0, d1)]
    )
    for r in range(n_regions):
        if not w.region_active[r]:
            continue
        acc = REGIONS[r].account
        for metric, kind, price, divisor in (
            (STORAGE, "s3", S3_PRICE, days_in_month),
            (EGRESS, "cloudfront", CLOUDFRONT_PRICE, 1),
            (FUNCS, "lambda", LAMBDA_PRICE, 1),
        ):
            if metric == STORAGE and not w.uses[w.region == r, STORAGE].any():
                continue
            qty = _round(totals[:, r, metric] / divisor)
            cost = _round(qty * price)
            rows.add(
                h0=day_start,
                h1=day_start + 24,
                src=cat.sources.get((kind, r)),
                line=lines.get((kind, r)),
                consumed=qty,
                pricing=qty,
                billed=cost,
                effective=cost,
                list=cost,
                contracted=cost,
            )
            shared_cost[:, r, metric] += cost
            add_usage(np.arange(nd), acc, cost)
    # Dedicated buckets (and a leftover bucket of a deleted customer).
    if w.dedicated_s3:
        owners = np.array(sorted(w.dedicated_s3))
        gb = w.dedicated_gb[d0:d1][:, owners]  # (nd, owners)
        dd, oo = np.nonzero(gb > 0)
        qty = _round(gb[dd, oo] / days_in_month[dd])
        cost = _round(qty * S3_PRICE)
        owner = owners[oo]
        src = np.array([w.dedicated_s3[int(o)] for o in owners])[oo]
        line = np.array([lines.get(("s3", r)) for r in range(n_regions)])[w.region[owner]]
        rows.add(
            h0=day_start[dd],
            h1=day_start[dd] + 24,
            src=src,
            line=line,
            consumed=qty,
            pricing=qty,
            billed=cost,
            effective=cost,
            list=cost,
            contracted=cost,
        )
        dedicated[:] += np.bincount(dd * w.n + owner, weights=cost, minlength=nd * w.n)
        add_usage(dd, cat.src_account[src], cost)
    for src, gb_stored in w.orphan_s3:
        qty = _round(np.full(nd, gb_stored) / days_in_month)
        cost = _round(qty * S3_PRICE)
        rows.add(
            h0=day_start,
            h1=day_start + 24,
            src=src,
            line=lines.get(("s3", 0)),
            consumed=qty,
            pricing=qty,
            billed=cost,
            effective=cost,
            list=cost,
            contracted=cost,
        )
        unattributed += float(cost.sum())
        add_usage(np.arange(nd), 0, cost)

    # --- CloudWatch: one row per region for the (generated part of the) month ------------------
    for r in range(n_regions):
        if not w.region_active[r]:
            continue
        gb = _round(totals[:, r, LOGS].sum())
        cost = float(_round(gb * CLOUDWATCH_PRICE))
        rows.add(
            h0=24 * d0,
            h1=24 * d1,
            src=cat.sources.get(("cloudwatch", r)),
            line=lines.get(("cloudwatch", r)),
            consumed=gb,
            pricing=gb,
            billed=cost,
            effective=cost,
            list=cost,
            contracted=cost,
        )
        day_gb = totals[:, r, LOGS]
        # The month's cost, spread over the days by what was actually ingested that day.
        shared_cost[:, r, LOGS] += cost * day_gb / day_gb.sum() if day_gb.sum() > 0 else 0.0
        add_usage(np.arange(nd), REGIONS[r].account, np.full(nd, cost / nd))

    # --- CloudTrail: platform overhead ---------------------------------------------------------
    for a in range(len(ACCOUNTS)):
        if not w.account_active[a]:
            continue
        in_account = int((REGION_ACCOUNT[w.region] == a).sum())
        events = np.round((40_000 + 25 * in_account) * rng.lognormal(0, 0.1, nd))
        pricing_qty = _round(events / 100_000)
        cost = _round(pricing_qty * CLOUDTRAIL_PRICE)
        rows.add(
            h0=day_start,
            h1=day_start + 24,
            src=cat.sources.get(("cloudtrail", a)),
            line=lines.get(("cloudtrail", a)),
            consumed=events,
            pricing=pricing_qty,
            billed=cost,
            effective=cost,
            list=cost,
            contracted=cost,
        )
        unattributed += float((cost * conv[:, a]).sum())
        add_usage(np.arange(nd), a, cost)

    # --- Kubernetes nodes: one row per node and day (k8s_usage splits them) --------------------
    nodes = len(cluster.node_ids)
    node_day = np.repeat(np.arange(d0, d1), nodes)
    node = np.tile(np.arange(nodes), nd)
    node_cost = cluster.node_day_cost
    rows.add(
        h0=node_day * 24,
        h1=node_day * 24 + 24,
        src=cluster.node_src[node],
        line=lines.get(("ec2", K8S_REGION, cluster.node_type)),
        consumed=24.0,
        pricing=24.0,
        billed=node_cost,
        effective=node_cost,
        list=node_cost,
        contracted=node_cost,
    )
    add_usage(node_day - d0, K8S_ACCOUNT, np.full(len(node_day), node_cost))

    # --- Customer cost per day in USD, then tax and credits ------------------------------------
    region_conv = conv[:, REGION_ACCOUNT]  # (nd, regions)
    shared_usd = shared_cost * region_conv[:, :, None]
    # CloudWatch is one row per region and month: the pipeline spreads it evenly over its days
    # and converts each day at that day's rate, so it is worth its amount times the mean rate.
    shared_usd[:, :, LOGS] = shared_cost[:, :, LOGS] * region_conv.mean(axis=0)[None, :]
    share = np.divide(
        q, totals[:, w.region, :], out=np.zeros_like(q), where=totals[:, w.region, :] > 0
    )
    account_of = REGION_ACCOUNT[w.region]
    cost_by_customer = (share * shared_usd[:, w.region, :]).sum(axis=2)
    cost_by_customer += dedicated.reshape(nd, w.n) * conv[:, account_of]
    leftover = shared_usd.sum() - (share * shared_usd[:, w.region, :]).sum()
    unattributed += float(leftover)  # zero unless a shared service had no consumer on a day
    # Kubernetes tenants: their workloads' part of the node-days; idle and monitoring: nobody's.
    k8s = cluster.tenant_cost[d0:d1] * conv[:, K8S_ACCOUNT][:, None]
    cost_by_customer[:, cluster.tenants] += k8s
    unattributed += float((node_cost * nodes * conv[:, K8S_ACCOUNT]).sum() - k8s.sum())

    # Everything so far is in list dollars: write it in each account's currency.
    data = rows.concat()
    scale = ACCOUNT_FACTOR[cat.src_account[data["src"]]]
    for name in ("billed", "effective", "list", "contracted"):
        data[name] = _round(data[name] * scale)

    # Tax and credits, computed in the account's currency on its (converted) usage.
    fees = _Rows()
    account_cost = np.zeros((nd, len(ACCOUNTS)))
    for a in range(len(ACCOUNTS)):
        account_cost[:, a] = cost_by_customer[:, account_of == a].sum(axis=1)
    extra = np.zeros((nd, len(ACCOUNTS)))
    for a in range(len(ACCOUNTS)):
        if not w.account_active[a]:
            continue
        usage_local = usage_cost[:, a] * ACCOUNT_FACTOR[a]
        tax = _round(usage_local * TAX_RATE, 2)
        fees.add(
            h0=day_start,
            h1=day_start + 24,
            src=cat.sources.get(("tax", a)),
            line=lines.get("tax"),
            billed=tax,
            effective=tax,
            list=tax,
            contracted=tax,
        )
        extra[:, a] += tax
        credit_days = rng.choice(nd, size=min(nd, int(rng.integers(1, 3))), replace=False)
        credit_days.sort()
        credit = -_round(usage_local[credit_days] * rng.uniform(0.02, 0.08, len(credit_days)), 2)
        fees.add(
            h0=day_start[credit_days],
            h1=day_start[credit_days] + 24,
            src=cat.sources.get(("credit", a)),
            line=lines.get("credit"),
            billed=credit,
            effective=credit,
            list=0.0,
            contracted=0.0,
        )
        np.add.at(extra[:, a], credit_days, credit)
    extra_usd = extra * fx_month
    ratio = np.divide(extra_usd, account_cost, out=np.zeros_like(extra), where=account_cost > 0)
    unattributed += float(extra_usd[account_cost <= 0].sum())
    # The data-residency surcharge follows the charges it is derived from: a customer of the region
    # owes the rate on its cost there before tax (tax and credit rows have no region).
    in_residency_region = np.array([r.id == DATA_RESIDENCY_REGION for r in REGIONS])[w.region]
    surcharge = DATA_RESIDENCY_RATE * cost_by_customer * in_residency_region[None, :]
    cost_by_customer *= 1.0 + ratio[:, account_of]
    truth = (cost_by_customer + surcharge).sum(axis=0)

    if fees.parts:
        fee_rows = fees.concat()
        data = {name: np.concatenate([data[name], fee_rows[name]]) for name in _Rows.FIELDS}
    # A small share of usage-based rows spell the frequency "Usage-based".
    flip = rng.random(len(data["line"])) < 0.01
    data["line"] = np.where(flip, cat.variant[data["line"]], data["line"]).astype(np.int32)
    return _MonthResult(rows=data, truth=truth, unattributed=unattributed)


def _days_in_month(d: date) -> int:
    nxt = (d.replace(day=1) + timedelta(days=32)).replace(day=1)
    return (nxt - d.replace(day=1)).days


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _billing_frame(rows: dict[str, np.ndarray], cat: _Catalogs, iso: list[str]) -> pd.DataFrame:
    cols: dict[str, Any] = {}
    for name in SOURCE_COLUMNS:
        cols[name] = cat.sources.categorical(name, rows["src"])
    for name in LINE_COLUMNS:
        cols[name] = cat.lines.categorical(name, rows["line"])
    cols["ChargePeriodStart"] = pd.Categorical.from_codes(rows["h0"], categories=iso)
    cols["ChargePeriodEnd"] = pd.Categorical.from_codes(rows["h1"], categories=iso)
    list_price = cat.lines.number("ListUnitPrice")[rows["line"]]
    contracted_price = cat.lines.number("ContractedUnitPrice")[rows["line"]]
    cols["ListUnitPrice"] = list_price
    cols["ContractedUnitPrice"] = contracted_price
    cols["BilledCost"] = _round(rows["billed"])
    cols["EffectiveCost"] = _round(rows["effective"])
    cols["ListCost"] = _round(rows["list"])
    cols["ContractedCost"] = _round(rows["contracted"])
    cols["ConsumedQuantity"] = _round(rows["consumed"])
    cols["PricingQuantity"] = _round(rows["pricing"])
    return pd.DataFrame({k: v for k, v in cols.items() if v is not None})


def _billing_select(frame: pd.DataFrame, month: _Month) -> str:
    exprs = []
    for name in BILLING_COLUMNS:
        if name in CONSTANT_COLUMNS:
            exprs.append(f"'{CONSTANT_COLUMNS[name]}' AS {name}")
        elif name == "BillingPeriodStart":
            exprs.append(f"'{month.period_start}' AS {name}")
        elif name == "BillingPeriodEnd":
            exprs.append(f"'{month.period_end}' AS {name}")
        elif name not in frame.columns:
            exprs.append(f"CAST(NULL AS VARCHAR) AS {name}")
        elif name in MONEY_COLUMNS:
            exprs.append(f"CAST({name} AS DECIMAL(38, 10)) AS {name}")
        else:
            exprs.append(f"CAST({name} AS VARCHAR) AS {name}")
    return "SELECT " + ", ".join(exprs) + " FROM frame"


def _usage_frame(w: _World, month: _Month, index: int) -> pd.DataFrame:
    rng = np.random.default_rng([w.seed, 4, index])
    q = w.consumption[month.d0 : month.d1]
    day, cust, metric = np.nonzero(q > 0)  # ordered by day, customer, metric
    quantity = np.round(q[day, cust, metric] * rng.lognormal(0.0, 0.05, len(day)), 6)
    lost = rng.random(len(day)) < 0.01
    region = w.region[cust]
    return pd.DataFrame(
        {
            "day": (day + month.d0).astype(np.int32),
            "customer_id": pd.Categorical.from_codes(np.where(lost, -1, cust), categories=w.ids),
            "metric": pd.Categorical.from_codes(metric, categories=list(METRICS)),
            "quantity": quantity,
            "service_name": pd.Categorical.from_codes(metric, categories=list(METRIC_SERVICE)),
            "region_id": pd.Categorical.from_codes(region, categories=[r.id for r in REGIONS]),
            "sub_account_id": pd.Categorical.from_codes(
                REGION_ACCOUNT[region], categories=[a.sub_id for a in ACCOUNTS]
            ),
        }
    )


def _usage_select(start: date) -> str:
    return (
        f"SELECT CAST(DATE '{start:%Y-%m-%d}' + day AS DATE) AS usage_date, "
        "CAST(customer_id AS VARCHAR) AS customer_id, CAST(metric AS VARCHAR) AS metric, "
        "CAST(quantity AS DECIMAL(38, 6)) AS quantity, "
        "CAST(service_name AS VARCHAR) AS service_name, CAST(region_id AS VARCHAR) AS region_id, "
        "CAST(sub_account_id AS VARCHAR) AS sub_account_id FROM frame"
    )


def _sql_path(path: Path) -> str:
    """A file path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _gzip(src: Path, dest: Path) -> None:
    """Compress `src` into `dest` (deterministic gzip: no name, no timestamp) and remove it."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    with src.open("rb") as fin, dest.open("wb") as fout:
        while chunk := fin.read(16 << 20):
            fout.write(compressor.compress(chunk))
        fout.write(compressor.flush())
    src.unlink()


class _Writer:
    """Writes frames with duckdb; gzip compression runs in a background thread."""

    def __init__(self, file_format: str) -> None:
        self.file_format = file_format
        self.con = duckdb.connect()
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending: list[Future[None]] = []
        self.files: list[Path] = []

    def write(self, frame: pd.DataFrame, select: str, dest: Path) -> None:
        # Copying straight from a pandas frame is several times slower than staging it in a
        # duckdb table first (the scan converts categoricals chunk by chunk).
        self.con.register("frame", frame)
        try:
            self._run(f"CREATE OR REPLACE TEMP TABLE staged AS {select}")
        finally:
            self.con.unregister("frame")
        try:
            if self.file_format == "parquet":
                self._run(f"COPY staged TO {_sql_path(dest)} (FORMAT parquet, COMPRESSION zstd)")
            elif self.file_format == "csv":
                self._run(f"COPY staged TO {_sql_path(dest)} (FORMAT csv, HEADER true)")
            else:
                tmp = dest.with_name(f".{dest.name.removesuffix('.gz')}.tmp")
                self._run(
                    f"COPY staged TO {_sql_path(tmp)} (FORMAT csv, HEADER true, COMPRESSION none)"
                )
                self._wait(keep=1)
                self.pending.append(self.pool.submit(_gzip, tmp, dest))
        finally:
            self._run("DROP TABLE staged")
        self.files.append(dest)

    def write_csv(self, frame: pd.DataFrame, select: str, dest: Path) -> None:
        self.con.register("frame", frame)
        try:
            self._run(f"COPY ({select}) TO {_sql_path(dest)} (FORMAT csv, HEADER true)")
        finally:
            self.con.unregister("frame")
        self.files.append(dest)

    def _run(self, sql: str) -> None:
        self.con.execute(sql).fetchall()

    def _wait(self, keep: int = 0) -> None:
        while len(self.pending) > keep:
            self.pending.pop(0).result()

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self.pool.shutdown(wait=True)
            self.con.close()


@dataclass
class _Support:
    tickets: pd.DataFrame  # day, second, customer (-1: deleted), deleted, handle_minutes, tier
    rates: pd.DataFrame
    cost: np.ndarray  # (tickets,) true cost of each ticket
    raise_day: int  # window day index from which the engineer's raised rate applies


def _support(w: _World) -> _Support:
    """Support tickets and agent rates for the window (vectorised over customer-days)."""
    rng = np.random.default_rng([w.seed, 5])
    # Heavy tail: a per-customer lognormal factor (mean 1) on the segment's daily rate.
    factor = rng.lognormal(-0.5 * 0.9**2, 0.9, w.n)
    rate = np.minimum(SEGMENT_TICKETS[w.segment] * factor, 5.0)
    day = np.arange(w.days)
    active = (day[:, None] >= w.first[None, :]) & (day[:, None] <= w.last[None, :])
    counts = rng.poisson(np.where(active, rate[None, :], 0.0))
    d, c = np.nonzero(counts)
    k = counts[d, c]
    d, c = np.repeat(d, k), np.repeat(c, k)
    n = len(d)
    second = rng.integers(0, 86_400, n)
    order = np.lexsort((c, second, d))  # by time, then customer
    d, c, second = d[order], c[order], second[order]
    minutes = np.maximum(np.round(rng.lognormal(np.log(SUPPORT_MINUTES_MEDIAN), 0.7, n), 1), 1.0)
    tier = rng.choice(len(SUPPORT_TIERS), size=n, p=SUPPORT_TIER_P).astype(np.int8)
    deleted = rng.random(n) < SUPPORT_UNKNOWN_SHARE
    ghost = rng.integers(1, 1 + max(3, 1 + w.n // 500), n)
    raise_day = w.days // 2
    hourly = SUPPORT_RATE[tier]
    hourly = np.where((tier == ENGINEER) & (d >= raise_day), ENGINEER_RATE_RAISED, hourly)
    cost = minutes / 60.0 * hourly
    tickets = pd.DataFrame(
        {
            "number": np.arange(1, n + 1, dtype=np.int64),
            "day": d.astype(np.int32),
            "second": second.astype(np.int32),
            "customer": pd.Categorical.from_codes(np.where(deleted, -1, c), categories=w.ids),
            "ghost": np.where(deleted, ghost, 0).astype(np.int32),
            "handle_minutes": minutes,
            "agent_tier": pd.Categorical.from_codes(tier, categories=list(SUPPORT_TIERS)),
        }
    )
    since = SUPPORT_RATES_SINCE if SUPPORT_RATES_SINCE < w.start else w.start - timedelta(days=365)
    switch = (w.start + timedelta(days=raise_day)).isoformat()
    rows = [
        (t, float(SUPPORT_RATE[i]), since.isoformat(), None) for i, t in enumerate(SUPPORT_TIERS)
    ]
    rows[ENGINEER] = (rows[ENGINEER][0], rows[ENGINEER][1], rows[ENGINEER][2], switch)
    rows.append(("engineer", ENGINEER_RATE_RAISED, switch, None))
    rates = pd.DataFrame(
        rows, columns=["agent_tier", "hourly_rate", "effective_from", "effective_to"]
    )
    return _Support(
        tickets=tickets,
        rates=rates,
        cost=np.where(deleted, 0.0, cost),
        raise_day=raise_day,
    )


def _support_truth(w: _World, months: list[_Month], s: _Support) -> np.ndarray:
    """(customers, months) support cost of the known customers' tickets."""
    month_of_day = np.empty(w.days, dtype=np.int64)
    for i, m in enumerate(months):
        month_of_day[m.d0 : m.d1] = i
    out = np.zeros((w.n, len(months)))
    codes = s.tickets["customer"].cat.codes.to_numpy()
    known = codes >= 0
    day = s.tickets["day"].to_numpy()
    np.add.at(out, (codes[known], month_of_day[day[known]]), s.cost[known])
    return out


def _write_support(w: _World, s: _Support, out_dir: Path, writer: _Writer) -> None:
    writer.write_csv(
        s.tickets,
        "SELECT printf('T%06d', number) AS ticket_id, "
        "CASE WHEN ghost > 0 THEN printf('cust-deleted-%02d', ghost) "
        "ELSE CAST(customer AS VARCHAR) END AS customer_id, "
        f"strftime(TIMESTAMP '{w.start:%Y-%m-%d} 00:00:00' + to_seconds(day * 86400 + second), "
        "'%Y-%m-%dT%H:%M:%SZ') AS opened_at, "
        "CAST(handle_minutes AS DECIMAL(12, 1)) AS handle_minutes, "
        "CAST(agent_tier AS VARCHAR) AS agent_tier FROM frame",
        out_dir / "support_tickets.csv",
    )
    writer.write_csv(
        s.rates,
        "SELECT agent_tier, CAST(hourly_rate AS DECIMAL(12, 2)) AS hourly_rate, "
        "'USD' AS currency, CAST(effective_from AS DATE) AS effective_from, "
        "CAST(effective_to AS DATE) AS effective_to FROM frame",
        out_dir / "support_rates.csv",
    )


# --------------------------------------------------------------------------------------------
# Currencies: the EUR rates of fx_rates.csv
# --------------------------------------------------------------------------------------------


def _fx_rates(w: _World) -> tuple[pd.DataFrame, np.ndarray]:
    """The published EUR rates (fx_rates.csv) and, per window day and account, the rate the
    pipeline converts that account's amounts at: the day's rate, else the last one published
    before it (weekends and closing days take the previous business day's); 1 for USD accounts.

    The rate (USD per EUR) is a mean-reverting random walk around FX_CENTER, one step a calendar
    day, published with 4 decimals on weekdays that are not fixed-date TARGET closing days, from
    FX_LEAD_DAYS before the window (so its first days have a rate) to its last day.
    """
    rng = np.random.default_rng([w.seed, 8])
    first = w.start - timedelta(days=FX_LEAD_DAYS)
    n = FX_LEAD_DAYS + w.days
    dates = [first + timedelta(days=i) for i in range(n)]
    published = np.array([d.weekday() < 5 and (d.month, d.day) not in FX_CLOSED for d in dates])
    center = float(np.log(FX_CENTER))
    level = center + float(rng.normal(0.0, 0.01))
    shocks = rng.normal(0.0, FX_DAILY_SIGMA, n)
    log_rate = np.empty(n)
    for i in range(n):
        level += FX_REVERSION * (center - level) + float(shocks[i])
        log_rate[i] = level
    rate = np.round(np.exp(log_rate), 4)
    last_published = np.maximum.accumulate(np.where(published, np.arange(n), -1))
    daily = rate[last_published[FX_LEAD_DAYS:]]
    fx = np.ones((w.days, len(ACCOUNTS)))
    currencies = sorted({a.currency for a in ACCOUNTS} - {REPORTING_CURRENCY})
    for a, acc in enumerate(ACCOUNTS):
        if acc.currency != REPORTING_CURRENCY:
            fx[:, a] = daily
    index = np.flatnonzero(published)
    frame = pd.DataFrame(
        {
            "date": [dates[i] for i in index for _ in currencies],
            "currency": [c for _ in index for c in currencies],
            "rate": [float(rate[i]) for i in index for _ in currencies],
        }
    )
    return frame, fx


def _write_fx_rates(frame: pd.DataFrame, out_dir: Path, writer: _Writer) -> None:
    writer.write_csv(
        frame,
        "SELECT CAST(date AS DATE) AS date, currency, CAST(rate AS DECIMAL(12, 4)) AS rate "
        "FROM frame ORDER BY date, currency",
        out_dir / "fx_rates.csv",
    )


# --------------------------------------------------------------------------------------------
# Kubernetes: a shared cluster of a few nodes running tenant namespaces (k8s_usage/)
# --------------------------------------------------------------------------------------------

K8S_CLUSTER = "prod-use1"
K8S_REGION = 0  # us-east-1, billed on the USD account
K8S_ACCOUNT = REGIONS[K8S_REGION].account
#: The DaemonSet namespace (one pod on every node) that serves no customer: left unmapped.
K8S_UNMAPPED_NAMESPACE = "monitoring"
#: The cluster is sized for its tenants: (most tenants, nodes, instance type).
K8S_SIZES: tuple[tuple[int | None, int, str], ...] = (
    (24, 3, "m6i.xlarge"),
    (80, 4, "m6i.2xlarge"),
    (None, 4, "m6i.4xlarge"),
)
#: vCPUs and GiB of memory of each node type.
K8S_NODE_SHAPE: dict[str, tuple[int, int]] = {
    "m6i.xlarge": (4, 16),
    "m6i.2xlarge": (8, 32),
    "m6i.4xlarge": (16, 64),
}
#: Tenants: about this share of the customers, non-free customers of the USD account's regions.
K8S_TENANT_SHARE = 0.10
K8S_MAX_TENANTS = 300
#: Pods (replicas) per tenant namespace by segment.
K8S_PODS = {SMB: 1, MID: 2, ENT: 3}
#: What the tenants request of the cluster when all are active; no pod asks for more than
#: K8S_POD_MAX of a node.
K8S_CPU_REQUESTED = 0.70
K8S_MEMORY_REQUESTED = 0.65
K8S_POD_MAX = 0.35
#: The monitoring DaemonSet pod on each node: cores and bytes requested.
K8S_MONITORING_CPU = 0.2
K8S_MONITORING_MEMORY = 512 * 2**20
#: The split's settings in the demo allocation.yml: OpenCost's default unit prices (per core-hour
#: and per GiB-hour; only their ratio matters) and idle kept unattributed.
K8S_CPU_PRICE = 0.031611
K8S_RAM_PRICE = 0.004237
K8S_SHARE_IDLE = "none"
GIB = 2**30


@dataclass
class _Cluster:
    """The shared cluster: its nodes, its pods and their daily requests and usage.

    Pods run in the namespace of a tenant (a customer) or in the unmapped monitoring namespace
    (tenant -1). Usage is one interval per pod and UTC day; a tenant's pods run on the days its
    customer is active, the monitoring pods every day.
    """

    node_type: str
    node_cores: int
    node_memory: int  # bytes
    node_ids: list[str]  # instance ids, as the bill's ResourceId
    provider_ids: list[str]  # aws:///<zone>/<instance id>, as k8s_usage names the node
    tenants: np.ndarray  # customer index of each tenant
    pod_tenant: np.ndarray  # tenant index per pod, -1: monitoring
    pod_node: np.ndarray
    pod_names: list[str]
    namespaces: list[str]  # per tenant, then the monitoring namespace last
    cpu_request: np.ndarray  # (pods,) cores
    memory_request: np.ndarray  # (pods,) bytes
    running: np.ndarray  # (days, pods) bool
    cpu_usage: np.ndarray  # (days, pods) cores, average over the day
    memory_usage: np.ndarray  # (days, pods) bytes
    tenant_cost: np.ndarray = field(default_factory=lambda: np.empty(0))  # (days, tenants) USD
    node_src: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))

    @property
    def node_day_cost(self) -> float:
        """A node's cost for one day (24 on-demand hours, USD)."""
        return float(_round(24 * EC2_PRICE[self.node_type]))


def _build_cluster(w: _World) -> _Cluster:
    rng = np.random.default_rng([w.seed, 9])
    seed = w.seed
    candidates = np.flatnonzero((w.segment >= SMB) & (REGION_ACCOUNT[w.region] == K8S_ACCOUNT))
    wanted = min(K8S_MAX_TENANTS, max(1, round(K8S_TENANT_SHARE * w.n)))
    count = min(wanted, len(candidates))
    tenants = np.sort(rng.choice(candidates, size=count, replace=False)).astype(np.int64)
    _, nodes, node_type = next(s for s in K8S_SIZES if s[0] is None or count <= s[0])
    cores, gib = K8S_NODE_SHAPE[node_type]
    node_memory = gib * GIB

    # Tenant pods: replicas share their customer's size; requests scaled to fill the cluster.
    replicas = np.array([K8S_PODS[int(w.segment[c])] for c in tenants], dtype=np.int64)
    pod_tenant = np.repeat(np.arange(count), replicas)
    weight = (w.size[tenants] / replicas)[pod_tenant] if count else np.empty(0)
    cpu_room = nodes * (cores - K8S_MONITORING_CPU) * K8S_CPU_REQUESTED
    memory_room = nodes * (node_memory - K8S_MONITORING_MEMORY) * K8S_MEMORY_REQUESTED
    cpu = weight * cpu_room / weight.sum() if count else weight
    cpu_request = np.maximum(np.round(np.minimum(cpu, K8S_POD_MAX * cores), 2), 0.01)
    memory_weight = cpu_request * rng.lognormal(0.0, 0.3, len(cpu_request))
    memory = memory_weight * memory_room / memory_weight.sum() if count else memory_weight
    memory = np.minimum(memory, K8S_POD_MAX * node_memory)
    memory_request = np.maximum(np.round(memory / 2**20), 64).astype(np.int64) * 2**20

    # Placement: largest first, on the least loaded node that runs no replica of the same tenant.
    pod_node = np.empty(len(pod_tenant), dtype=np.int64)
    load = np.zeros(nodes)
    placed: list[set[int]] = [set() for _ in range(nodes)]
    for p in np.argsort(-cpu_request, kind="stable"):
        t = int(pod_tenant[p])
        free = [j for j in range(nodes) if t not in placed[j]] or list(range(nodes))
        j = min(free, key=lambda j: (load[j], j))
        pod_node[p] = j
        placed[j].add(t)
        load[j] += cpu_request[p] / cores + memory_request[p] / node_memory

    # The monitoring DaemonSet: one pod per node.
    pod_tenant = np.concatenate([pod_tenant, np.full(nodes, -1)])
    pod_node = np.concatenate([pod_node, np.arange(nodes)])
    cpu_request = np.concatenate([cpu_request, np.full(nodes, K8S_MONITORING_CPU)])
    memory_request = np.concatenate(
        [memory_request, np.full(nodes, K8S_MONITORING_MEMORY, dtype=np.int64)]
    )
    # Pods in node order, then namespace (tenant order, monitoring last), for tidy files.
    order = np.lexsort((np.where(pod_tenant < 0, count, pod_tenant), pod_node))
    pod_tenant, pod_node = pod_tenant[order], pod_node[order]
    cpu_request, memory_request = cpu_request[order], memory_request[order]
    pods = len(pod_tenant)

    # Daily usage: a tenant's pods follow its customer's daily compute activity.
    day = np.arange(w.days)
    active = (day[:, None] >= w.first[None, :]) & (day[:, None] <= w.last[None, :])
    cpu_day = w.consumption[:, tenants, CPU]
    mean = cpu_day.sum(axis=0) / np.maximum(active[:, tenants].sum(axis=0), 1)
    activity = np.divide(cpu_day, mean, out=np.zeros_like(cpu_day), where=mean > 0)
    tenant_pod = pod_tenant >= 0
    running = np.ones((w.days, pods), dtype=bool)
    running[:, tenant_pod] = active[:, tenants][:, pod_tenant[tenant_pod]]
    pod_activity = np.ones((w.days, pods))
    pod_activity[:, tenant_pod] = activity[:, pod_tenant[tenant_pod]]
    # Each pod has its own typical utilization of its request; a few run hot, above it.
    utilization = 0.6 * rng.lognormal(0.0, 0.3, pods)
    cpu_usage = np.round(
        cpu_request * utilization * pod_activity * rng.lognormal(0.0, 0.2, (w.days, pods)), 3
    )
    memory_usage = np.round(
        memory_request * (0.55 + 0.2 * pod_activity) * rng.lognormal(0.0, 0.1, (w.days, pods))
    ).astype(np.int64)
    cpu_usage = np.where(running, cpu_usage, 0.0)
    memory_usage = np.where(running, memory_usage, 0)

    zones = "abc"
    node_ids = [f"i-0{_hex(seed, 'k8s-node', j, n=16)}" for j in range(nodes)]
    provider_ids = [
        f"aws:///{REGIONS[K8S_REGION].id}{zones[j % len(zones)]}/{node_ids[j]}"
        for j in range(nodes)
    ]
    namespaces = [f"tenant-{w.ids[c]}" for c in tenants] + [K8S_UNMAPPED_NAMESPACE]
    pod_names = [
        f"node-exporter-{_hex(seed, 'k8s-ds', int(pod_node[p]), n=5)}"
        if pod_tenant[p] < 0
        else f"web-{_hex(seed, 'k8s-rs', int(pod_tenant[p]), n=9)}-{_hex(seed, 'k8s-pod', p, n=5)}"
        for p in range(pods)
    ]
    cluster = _Cluster(
        node_type=node_type,
        node_cores=cores,
        node_memory=node_memory,
        node_ids=node_ids,
        provider_ids=provider_ids,
        tenants=tenants,
        pod_tenant=pod_tenant,
        pod_node=pod_node,
        pod_names=pod_names,
        namespaces=namespaces,
        cpu_request=cpu_request,
        memory_request=memory_request,
        running=running,
        cpu_usage=cpu_usage,
        memory_usage=memory_usage,
    )
    cluster.tenant_cost = _cluster_truth(cluster)
    return cluster


def _cluster_truth(k: _Cluster) -> np.ndarray:
    """(days, tenants) each tenant's part of the node-days' cost (USD), by the documented split
    (docs/kubernetes.md) of the values k8s_usage writes: a node-day's cost splits into CPU and RAM
    by cpu_ratio = CPU capacity x CPU price / (that + RAM capacity x RAM price); a pod is charged
    max(request, usage) of each, as its share of the node's capacity (or of what its pods charged,
    when that is more); the rest is idle and, like the unmapped namespace, nobody's."""
    nodes = len(k.node_ids)
    onehot = np.zeros((len(k.pod_node), nodes))
    onehot[np.arange(len(k.pod_node)), k.pod_node] = 1.0
    cpu = np.where(k.running, np.maximum(k.cpu_request[None, :], k.cpu_usage), 0.0)
    gib = np.where(k.running, np.maximum(k.memory_request[None, :], k.memory_usage), 0) / GIB
    cpu_basis = np.maximum(k.node_cores, cpu @ onehot)  # (days, nodes), per hour
    gib_basis = np.maximum(k.node_memory / GIB, gib @ onehot)
    ratio = cpu_basis * K8S_CPU_PRICE / (cpu_basis * K8S_CPU_PRICE + gib_basis * K8S_RAM_PRICE)
    node = k.pod_node
    share = (
        ratio[:, node] * cpu / cpu_basis[:, node] + (1 - ratio[:, node]) * gib / gib_basis[:, node]
    )
    cost = k.node_day_cost * share
    out = np.zeros((k.running.shape[0], len(k.tenants)))
    tenant_pod = np.flatnonzero(k.pod_tenant >= 0)
    for p in tenant_pod:
        out[:, k.pod_tenant[p]] += cost[:, p]
    return out


def _k8s_usage_frame(k: _Cluster, month: _Month) -> pd.DataFrame:
    day, pod = np.nonzero(k.running[month.d0 : month.d1])  # ordered by day, then pod
    day = day + month.d0
    namespace = np.where(k.pod_tenant[pod] < 0, len(k.namespaces) - 1, k.pod_tenant[pod])
    return pd.DataFrame(
        {
            "day": day.astype(np.int32),
            "node_id": pd.Categorical.from_codes(k.pod_node[pod], categories=k.provider_ids),
            "namespace": pd.Categorical.from_codes(namespace, categories=k.namespaces),
            "pod": pd.Categorical.from_codes(pod, categories=k.pod_names),
            "cpu_request_cores": k.cpu_request[pod],
            "cpu_usage_cores": k.cpu_usage[day, pod],
            "memory_request_bytes": k.memory_request[pod],
            "memory_usage_bytes": k.memory_usage[day, pod],
        }
    )


def _k8s_usage_select(k: _Cluster, start: date) -> str:
    stamp = "'%Y-%m-%dT%H:%M:%SZ'"
    return (
        f"SELECT strftime(TIMESTAMP '{start:%Y-%m-%d} 00:00:00' + to_days(day), {stamp}) "
        "AS interval_start, "
        f"strftime(TIMESTAMP '{start:%Y-%m-%d} 00:00:00' + to_days(day + 1), {stamp}) "
        f"AS interval_end, '{K8S_CLUSTER}' AS cluster_id, CAST(node_id AS VARCHAR) AS node_id, "
        "CAST(namespace AS VARCHAR) AS namespace, CAST(pod AS VARCHAR) AS pod, "
        "CAST(cpu_request_cores AS DECIMAL(12, 3)) AS cpu_request_cores, "
        "CAST(cpu_usage_cores AS DECIMAL(12, 3)) AS cpu_usage_cores, "
        "CAST(memory_request_bytes AS BIGINT) AS memory_request_bytes, "
        "CAST(memory_usage_bytes AS BIGINT) AS memory_usage_bytes, "
        f"{k.node_cores} AS node_cpu_cores, CAST({k.node_memory} AS BIGINT) AS node_memory_bytes "
        "FROM frame"
    )


def _write_k8s_namespaces(w: _World, k: _Cluster, out_dir: Path, writer: _Writer) -> None:
    """k8s_namespaces.csv: every tenant namespace to its customer; monitoring is left out."""
    frame = pd.DataFrame(
        {
            "cluster_id": [K8S_CLUSTER] * len(k.tenants),
            "namespace": k.namespaces[: len(k.tenants)],
            "customer_id": [w.ids[c] for c in k.tenants],
        },
        dtype="string",
    )
    writer.write_csv(
        frame, "SELECT * FROM frame ORDER BY namespace", out_dir / "k8s_namespaces.csv"
    )


# --------------------------------------------------------------------------------------------
# Other costs: what the company spends outside the cloud bill (other_costs.csv)
# --------------------------------------------------------------------------------------------

#: The pool the demo rules split evenly among the customers active each day.
OTHER_COSTS_POOL = "platform"
#: Monthly engineering payroll per customer of the company (USD).
ENGINEERING_PER_CUSTOMER = 8.0
#: The customer id a cost names for a customer deleted from customers.csv.
OTHER_COSTS_DELETED_CUSTOMER = "cust-deleted-00"


@dataclass(frozen=True)
class _OtherCost:
    cost_id: str
    description: str
    category: str  # as written in the file (spellings vary on purpose)
    amount: float  # whole cents
    incurred: date
    months: int  # amortization months; 0: expensed on the incurred day
    customer: int | None = None  # a customer index; -1: a deleted customer; None: none named
    customer_id: str | None = None  # as the file writes it
    pool: str | None = None
    currency: str | None = "USD"
    amount_text: str | None = None  # how the file writes the amount, when not plainly
    months_text: str | None = None  # how the file writes the months, when not plainly


def _add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months, clamped to the target month's last day (like the
    pipeline's add_months: 2024-02-29 + 12 months = 2025-02-28)."""
    year, month = divmod(day.month - 1 + months, 12)
    first = date(day.year + year, month + 1, 1)
    return first.replace(day=min(day.day, _days_in_month(first)))


def _fitted_months(incurred: date, wanted: int, end: date) -> int:
    """The most whole months, up to ``wanted``, that an amortization from ``incurred`` can run
    and still end by ``end`` (exclusive); 0 (expensed that day) when not even one fits."""
    months = wanted
    while months > 0 and _add_months(incurred, months) > end:
        months -= 1
    return months


def _other_cost_schedule(cost: _OtherCost) -> tuple[date, date]:
    """The cost's amortization period [first day, end) (one day when expensed)."""
    if cost.months == 0:
        return cost.incurred, cost.incurred + timedelta(days=1)
    return cost.incurred, _add_months(cost.incurred, cost.months)


def _other_costs(w: _World) -> list[_OtherCost]:
    """The company's other costs in the window, each amortized inside it."""
    rng = np.random.default_rng([w.seed, 7])
    end = w.start + timedelta(days=w.days)

    def on_day(index: int) -> date:
        return w.start + timedelta(days=min(max(index, 0), w.days - 1))

    def cents(value: float) -> float:
        return round(float(value) * float(rng.lognormal(0.0, 0.05)), 2)

    costs: list[_OtherCost] = []
    # Engineering salaries: booked on the 15th of each month, amortized over a year when the
    # window allows it (12 months from mid-month runs across a year end), else as long as fits.
    payday = w.start.replace(day=15)
    if payday < w.start:
        payday = _add_months(payday, 1)
    while payday < end:
        costs.append(
            _OtherCost(
                cost_id=f"ENG-{payday:%Y-%m}",
                description=f"Engineering salaries {payday:%Y-%m}",
                category="Engineering",
                amount=cents(ENGINEERING_PER_CUSTOMER * w.n),
                incurred=payday,
                months=_fitted_months(payday, 12, end),
            )
        )
        payday = _add_months(payday, 1)
    # Shared platform costs, split evenly by the demo rules.
    leap_days = [on_day(d) for d in range(w.days) if on_day(d).month == 2 and on_day(d).day == 29]
    hardware_day = leap_days[0] if leap_days else on_day(w.days // 4)
    costs += [
        _OtherCost(
            cost_id="HW-1",
            description="Build servers" + (" bought on leap day" if leap_days else ""),
            category="hardware",
            amount=cents(4.0 * w.n),
            incurred=hardware_day,
            months=_fitted_months(hardware_day, 36, end),
            pool=OTHER_COSTS_POOL,
        ),
        _OtherCost(
            cost_id="SEC-1",
            description="Vulnerability scanner licence",
            category=" security ",
            amount=cents(3.0 * w.n),
            incurred=w.start,
            months=_fitted_months(w.start, 12, end),
            pool=OTHER_COSTS_POOL,
            currency=None,
        ),
        _OtherCost(
            cost_id="SEC-2",
            description="SOC 2 compliance audit",
            category="Compliance",
            amount=cents(2.5 * w.n),
            incurred=on_day(w.days // 3),
            months=0,
            pool=OTHER_COSTS_POOL,
        ),
        _OtherCost(
            cost_id="LIC-1",
            description="Developer tool licences",
            category="licence",
            amount=cents(1.0 * w.n),
            incurred=on_day(w.days // 2),
            months=_fitted_months(on_day(w.days // 2), 1, end),
            pool=OTHER_COSTS_POOL,
        ),
    ]
    # Costs that name their customer: the largest customers' dedicated security hardware and
    # integration work (engineering, yet placed on the customer before any rule), and one for a
    # customer deleted from customers.csv.
    largest = [int(i) for i in np.argsort(-w.size, kind="stable")[:2]]
    for rank, customer in enumerate(largest):
        costs.append(
            _OtherCost(
                cost_id=f"HSM-{rank + 1}",
                description=f"Dedicated HSM for {w.ids[customer]}",
                category="security",
                amount=cents(2.0 * w.n),
                incurred=on_day(2 + rank),
                months=_fitted_months(on_day(2 + rank), 12, end),
                customer=customer,
                customer_id=w.ids[customer],
                amount_text=None if rank else "${:,.2f}",
            )
        )
    costs += [
        _OtherCost(
            cost_id="INT-1",
            description=f"Custom integration for {w.ids[largest[0]]}",
            category="engineering",
            amount=cents(1.5 * w.n),
            incurred=on_day(w.days // 2),
            months=0,
            customer=largest[0],
            customer_id=w.ids[largest[0]].upper(),
            months_text="",
        ),
        _OtherCost(
            cost_id="ONB-1",
            description="Onboarding workshop",
            category="engineering",
            amount=cents(0.25 * w.n),
            incurred=on_day(1),
            months=0,
            customer=-1,
            customer_id=OTHER_COSTS_DELETED_CUSTOMER,
        ),
    ]
    return costs


def _other_costs_truth(
    w: _World, months: list[_Month], costs: list[_OtherCost], revenue: np.ndarray
) -> np.ndarray:
    """(customers, months) other costs as the demo rules place them: a cost naming a known
    customer on that customer; engineering by the customers' revenue in each day's month; the
    platform pool evenly among the customers active each day; anything else on nobody."""
    month_of_day = np.empty(w.days, dtype=np.int64)
    for i, m in enumerate(months):
        month_of_day[m.d0 : m.d1] = i
    day = np.arange(w.days)
    active = (day[:, None] >= w.first[None, :]) & (day[:, None] <= w.last[None, :])
    paying = np.nan_to_num(revenue)
    out = np.zeros((w.n, len(months)))
    for cost in costs:
        first, end = _other_cost_schedule(cost)
        d0, d1 = (first - w.start).days, (end - w.start).days
        per_day = cost.amount / (d1 - d0)
        for d in range(d0, d1):
            m = month_of_day[d]
            if cost.customer is not None:
                if cost.customer >= 0:
                    out[cost.customer, m] += per_day
            elif cost.category.strip().lower() == "engineering":
                weights = np.where(paying[:, m] > 0, paying[:, m], 0.0)
                if weights.sum() > 0:
                    out[:, m] += per_day * weights / weights.sum()
            elif cost.pool == OTHER_COSTS_POOL and active[d].any():
                out[active[d], m] += per_day / active[d].sum()
    return out


def _write_other_costs(costs: list[_OtherCost], out_dir: Path, writer: _Writer) -> None:
    frame = pd.DataFrame(
        {
            "cost_id": [c.cost_id for c in costs],
            "description": [c.description for c in costs],
            "category": [c.category for c in costs],
            "amount": [(c.amount_text or "{:.2f}").format(c.amount) for c in costs],
            "currency": [c.currency for c in costs],
            "incurred_date": [c.incurred.isoformat() for c in costs],
            "amortization_months": [
                (c.months_text if c.months_text is not None else str(c.months)) or None
                for c in costs
            ],
            "customer_id": [c.customer_id for c in costs],
            "pool": [c.pool for c in costs],
        },
        dtype="string",
    )
    writer.write_csv(frame, "SELECT * FROM frame", out_dir / "other_costs.csv")


_OWN_FILE = re.compile(r"\.?(focus|usage|k8s-usage)-\d{4}-\d{2}\.(csv|csv\.gz|parquet|csv\.tmp)")


def _clean(out_dir: Path) -> None:
    """Remove month files an earlier run wrote (only names this module writes), so a shorter
    window or another format leaves no stale months behind."""
    for sub in ("billing", "usage", "k8s_usage"):
        folder = out_dir / sub
        folder.mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            if path.is_file() and _OWN_FILE.fullmatch(path.name):
                path.unlink()


def _is_whole(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def generate(
    out_dir: Path,
    customers: int,
    days: int,
    seed: int,
    start: date = date(2024, 1, 1),
    file_format: str = "csv.gz",
    progress: Callable[[str], None] | None = None,
) -> GenerateSummary:
    """Write a demo data set for `customers` over `days` days from `start` into `out_dir`.

    ``file_format`` (csv, csv.gz or parquet) applies to billing/, usage/ and k8s_usage/; the other
    files are always CSV (and allocation.yml). Month files an earlier run left in those folders are
    replaced. The same arguments always produce byte-identical files.

    Raises:
        UserError: Bad arguments (one line).
    """
    if not _is_whole(customers) or customers < 1:
        raise UserError(f"customers must be a whole number of at least 1, got {customers!r}")
    if not _is_whole(days) or days < 1:
        raise UserError(f"days must be a whole number of at least 1, got {days!r}")
    if not _is_whole(seed) or seed < 0:
        raise UserError(f"seed must be a whole number of at least 0, got {seed!r}")
    customers, days, seed = int(customers), int(days), int(seed)
    if file_format not in FORMATS:
        raise UserError(f"unknown format {file_format!r}: use one of {', '.join(FORMATS)}")
    if isinstance(start, datetime) or not isinstance(start, date):
        raise UserError(f"start must be a date (YYYY-MM-DD), got {start!r}")
    if customers * days > MAX_CUSTOMER_DAYS:
        raise UserError(
            f"{customers} customers x {days} days is too large for the demo generator "
            f"(at most {MAX_CUSTOMER_DAYS:,} customer-days)"
        )
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"output path {out_dir} exists and is not a folder")
    say = progress or (lambda _msg: None)

    out_dir.mkdir(parents=True, exist_ok=True)
    _clean(out_dir)
    say(f"simulating {customers:,} customers over {days} days")
    world = _build_world(customers, days, seed, start)
    cluster = _build_cluster(world)
    cat = _build_catalogs(world, cluster)
    fx_frame, fx = _fx_rates(world)
    months = _months(start, days)
    base = datetime(start.year, start.month, start.day)
    iso = [(base + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ") for h in range(days * 24 + 1)]
    ext = file_format

    truth = np.zeros((customers, len(months)))
    billing_rows = usage_rows = kubernetes_rows = support_tickets = 0
    total_effective = 0.0
    writer = _Writer(file_format)
    try:
        for i, month in enumerate(months):
            result = _simulate_month(world, cat, cluster, fx, month, i)
            truth[:, i] = result.truth
            frame = _billing_frame(result.rows, cat, iso)
            total_effective += float(frame["EffectiveCost"].sum())
            billing_rows += len(frame)
            writer.write(
                frame,
                _billing_select(frame, month),
                out_dir / "billing" / f"focus-{month.label}.{ext}",
            )
            del frame, result
            usage = _usage_frame(world, month, i)
            usage_rows += len(usage)
            writer.write(
                usage, _usage_select(start), out_dir / "usage" / f"usage-{month.label}.{ext}"
            )
            del usage
            pods = _k8s_usage_frame(cluster, month)
            kubernetes_rows += len(pods)
            writer.write(
                pods,
                _k8s_usage_select(cluster, start),
                out_dir / "k8s_usage" / f"k8s-usage-{month.label}.{ext}",
            )
            del pods
            say(f"{month.label}: {billing_rows:,} billing rows, {usage_rows:,} usage rows so far")
        support = _support(world)
        truth += _support_truth(world, months, support)
        support_tickets = len(support.tickets)
        _write_support(world, support, out_dir, writer)
        revenue = _revenue(world, months)
        other_costs = _other_costs(world)
        truth += _other_costs_truth(world, months, other_costs, revenue)
        _write_other_costs(other_costs, out_dir, writer)
        _write_fx_rates(fx_frame, out_dir, writer)
        _write_k8s_namespaces(world, cluster, out_dir, writer)
        _write_reference(world, months, truth, revenue, out_dir, writer)
    finally:
        writer.close()
    say(f"wrote {len(writer.files)} files to {out_dir}")
    return GenerateSummary(
        out_dir=out_dir,
        customers=customers,
        days=days,
        billing_rows=billing_rows,
        usage_rows=usage_rows,
        files_written=len(writer.files),
        total_effective_cost=round(total_effective, 6),
        total_true_cost=round(float(np.round(truth, 6).sum()), 6),
        support_tickets=support_tickets,
        other_costs=len(other_costs),
        kubernetes_rows=kubernetes_rows,
        fx_rates=len(fx_frame),
        files=tuple(writer.files),
    )


def _revenue(w: _World, months: list[_Month]) -> np.ndarray:
    """(customers, months) revenue as revenue.csv writes it: size x segment price x a per-customer
    deal factor, prorated by the customer's active days in the month, in cents."""
    active_days = np.zeros((w.n, len(months)))
    for i, m in enumerate(months):
        lo = np.maximum(w.first, m.d0)
        hi = np.minimum(w.last + 1, m.d1)
        active_days[:, i] = np.maximum(hi - lo, 0)
    month_days = np.array([_days_in_month(w.start + timedelta(days=m.d0)) for m in months])
    monthly = w.size * SEGMENT_PRICE[w.segment] * w.revenue_factor
    revenue = np.round(monthly[:, None] * active_days / month_days[None, :], 2)
    return np.where(active_days > 0, revenue, np.nan)


def _write_reference(
    w: _World,
    months: list[_Month],
    truth: np.ndarray,
    revenue: np.ndarray,
    out_dir: Path,
    writer: _Writer,
) -> None:
    """customers.csv, revenue.csv, ground_truth.csv and allocation.yml."""
    customers = pd.DataFrame(
        {
            "customer_id": w.ids,
            "customer_name": w.names,
            "segment": [SEGMENTS[s] for s in w.segment],
            "region": [REGIONS[r].id for r in w.region],
            "active_from": [d.isoformat() for d in w.signup],
            # The contract's window is [active_from, active_to): active_to is the first day without activity.
            "active_to": [
                (w.start + timedelta(days=int(last) + 1)).isoformat() if last < w.days - 1 else None
                for last in w.last
            ],
        }
    )
    writer.write_csv(customers, "SELECT * FROM frame", out_dir / "customers.csv")

    # Revenue (see _revenue): one row per customer and month with active days.
    cust, mon = np.nonzero(~np.isnan(revenue))  # ordered by customer, month
    labels = [m.label for m in months]
    writer.write_csv(
        pd.DataFrame(
            {
                "customer_id": pd.Categorical.from_codes(cust, categories=w.ids),
                "month": pd.Categorical.from_codes(mon, categories=labels),
                "revenue": revenue[cust, mon],
            }
        ),
        "SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(month AS VARCHAR) AS month, "
        "CAST(revenue AS DECIMAL(18, 2)) AS revenue, 'USD' AS currency FROM frame",
        out_dir / "revenue.csv",
    )

    rounded = np.round(truth, 6)
    cust, mon = np.nonzero(rounded != 0)
    writer.write_csv(
        pd.DataFrame(
            {
                "customer_id": pd.Categorical.from_codes(cust, categories=w.ids),
                "month": pd.Categorical.from_codes(mon, categories=labels),
                "true_cost": rounded[cust, mon],
            }
        ),
        "SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(month AS VARCHAR) AS month, "
        "CAST(true_cost AS DECIMAL(24, 6)) AS true_cost FROM frame",
        out_dir / "ground_truth.csv",
    )
    # The fixed rule's two customers: the largest in the EU region (else the largest overall).
    eu = REGIONS.index(next(r for r in REGIONS if r.account == 1))
    by_size = [int(i) for i in np.argsort(-w.size, kind="stable")]
    chosen = [i for i in by_size if w.region[i] == eu][:2] or by_size[:2]
    fractions = ["0.6", "0.3"] if len(chosen) == 2 else ["0.9"]
    path = out_dir / "allocation.yml"
    path.write_text(
        ALLOCATION_YML.format(
            eu_account=ACCOUNTS[1].billing_id,
            eu_shares=", ".join(f"{w.ids[i]}: {f}" for i, f in zip(chosen, fractions, strict=True)),
            switch_date=(w.start + timedelta(days=w.days // 2)).isoformat(),
            k8s_cpu_price=K8S_CPU_PRICE,
            k8s_ram_price=K8S_RAM_PRICE,
            k8s_share_idle=K8S_SHARE_IDLE,
            residency_region=DATA_RESIDENCY_REGION,
            residency_rate=DATA_RESIDENCY_RATE,
        ),
        encoding="utf-8",
    )
    writer.files.append(path)

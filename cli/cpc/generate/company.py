"""The simulated company: its customer segments, billing accounts, regions, services and prices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    """A region: its billing account (index), UTC offset, share of the customers, short name."""

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

#: How dedicated resources spell the customer tag's key, and how often each spelling occurs.
CUSTOMER_TAG_KEYS: tuple[str, ...] = (
    "customer_id",
    "user:customer_id",
    " Customer_ID ",
    "CUSTOMER_ID",
)
CUSTOMER_TAG_KEY_P = np.array([0.76, 0.10, 0.08, 0.06])


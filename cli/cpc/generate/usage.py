"""Telemetry (usage/): each customer's daily consumption of the shared services, as measured."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from cpc.generate.company import (
    ACCOUNTS,
    CPU,
    FUNCS,
    METRIC_SERVICE,
    METRICS,
    REGION_ACCOUNT,
    REGIONS,
)
from cpc.generate.periods import Month
from cpc.generate.world import World

#: The columns of a usage file.
USAGE_COLUMNS: tuple[str, ...] = (
    "usage_date",
    "customer_id",
    "metric",
    "quantity",
    "service_name",
    "region_id",
    "sub_account_id",
    "feature",
    "sample_rate",
)

#: The product features telemetry names (cost per feature). Each customer's compute and function
#: usage comes from one of them, or from none (an empty feature: 'unassigned').
FEATURES: tuple[str, ...] = ("search", "reports", "exports")
#: Function telemetry is sampled from the 15th of each month on: it keeps each GB-second with this
#: probability and says so in sample_rate (so each month has sampled and unsampled days).
SAMPLE_RATE = 0.25
SAMPLED_METRIC = FUNCS
SAMPLED_FROM_DAY = 15


def usage_frame(w: World, month: Month, index: int) -> pd.DataFrame:
    """The month's telemetry: one row per customer, day and metric it consumed, with a little
    noise (lognormal, sigma 0.05); about 1 % of the rows lost the customer id. Compute and function
    rows name the customer's feature (if it has one); function rows from the 15th on are sampled
    (SAMPLE_RATE: the kept GB-seconds, a binomial draw)."""
    rng = np.random.default_rng([w.seed, 4, index])
    q = w.consumption[month.d0 : month.d1]
    day, cust, metric = np.nonzero(q > 0)  # ordered by day, customer, metric
    quantity = np.round(q[day, cust, metric] * rng.lognormal(0.0, 0.05, len(day)), 6)
    lost = rng.random(len(day)) < 0.01
    region = w.region[cust]
    # Features and sampling draw from streams of their own, so the rest of the data is unchanged.
    feature_of = np.random.default_rng([w.seed, 41]).integers(0, len(FEATURES) + 1, (len(w.ids), len(METRICS)))
    feature = np.where(np.isin(metric, (CPU, FUNCS)), feature_of[cust, metric], len(FEATURES))
    month_days = [w.start + timedelta(days=month.d0 + d) for d in range(q.shape[0])]
    sampled_day = np.array([d.day >= SAMPLED_FROM_DAY for d in month_days], dtype=bool)
    sampled = (metric == SAMPLED_METRIC) & sampled_day[day]
    kept = np.random.default_rng([w.seed, 42, index]).binomial(np.round(quantity).astype(np.int64), SAMPLE_RATE)
    quantity = np.where(sampled, kept.astype(float), quantity)
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
            "feature": pd.Categorical.from_codes(np.where(feature < len(FEATURES), feature, -1), categories=list(FEATURES)),
            "sample_rate": pd.Categorical.from_codes(np.where(sampled, 0, -1), categories=[f"{SAMPLE_RATE:g}"]),
        }
    )


def usage_select(start: date) -> str:
    """The SELECT over a usage frame that writes USAGE_COLUMNS."""
    return (
        f"SELECT CAST(DATE '{start:%Y-%m-%d}' + day AS DATE) AS usage_date, "
        "CAST(customer_id AS VARCHAR) AS customer_id, CAST(metric AS VARCHAR) AS metric, "
        "CAST(quantity AS DECIMAL(38, 6)) AS quantity, "
        "CAST(service_name AS VARCHAR) AS service_name, CAST(region_id AS VARCHAR) AS region_id, "
        "CAST(sub_account_id AS VARCHAR) AS sub_account_id, CAST(feature AS VARCHAR) AS feature, "
        "CAST(sample_rate AS VARCHAR) AS sample_rate FROM frame"
    )

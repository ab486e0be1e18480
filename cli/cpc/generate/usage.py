"""Telemetry (usage/): each customer's daily consumption of the shared services, as measured."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from cpc.generate.company import ACCOUNTS, METRIC_SERVICE, METRICS, REGION_ACCOUNT, REGIONS
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
)


def usage_frame(w: World, month: Month, index: int) -> pd.DataFrame:
    """The month's telemetry: one row per customer, day and metric it consumed, with a little
    noise (lognormal, sigma 0.05); about 1 % of the rows lost the customer id."""
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


def usage_select(start: date) -> str:
    """The SELECT over a usage frame that writes USAGE_COLUMNS."""
    return (
        f"SELECT CAST(DATE '{start:%Y-%m-%d}' + day AS DATE) AS usage_date, "
        "CAST(customer_id AS VARCHAR) AS customer_id, CAST(metric AS VARCHAR) AS metric, "
        "CAST(quantity AS DECIMAL(38, 6)) AS quantity, "
        "CAST(service_name AS VARCHAR) AS service_name, CAST(region_id AS VARCHAR) AS region_id, "
        "CAST(sub_account_id AS VARCHAR) AS sub_account_id FROM frame"
    )

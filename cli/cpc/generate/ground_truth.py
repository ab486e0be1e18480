"""The ground truth: what each customer really drove each month (ground_truth.csv), and what one
more unit of each shared service's metric really costs (ground_truth_unit_costs.csv), in USD."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpc.generate.company import (
    CLOUDFRONT_PRICE,
    CLOUDWATCH_PRICE,
    CPU,
    DATA_RESIDENCY_RATE,
    DATA_RESIDENCY_REGION,
    EC2_PRICE,
    EC2_SHARED_TYPE,
    EC2_SHARED_VCPU,
    EC2_TARGET_UTIL,
    EGRESS,
    FUNCS,
    LAMBDA_PRICE,
    LOGS,
    METRIC_SERVICE,
    METRICS,
    REGION_ACCOUNT,
    REGIONS,
    S3_PRICE,
    SP_RATE,
    STORAGE,
)
from cpc.generate.periods import Month
from cpc.generate.world import World, ec2_diurnal

if TYPE_CHECKING:
    from cpc.generate.bill import MonthBill
    from cpc.generate.files import Writer


def write_ground_truth(
    w: World, months: list[Month], truth: np.ndarray, out_dir: Path, writer: Writer
) -> None:
    """ground_truth.csv: one row per customer and month with a cost (rounded to 6 decimals)."""
    rounded = np.round(truth, 6)
    cust, mon = np.nonzero(rounded != 0)
    writer.write_csv(
        pd.DataFrame(
            {
                "customer_id": pd.Categorical.from_codes(cust, categories=w.ids),
                "month": pd.Categorical.from_codes(mon, categories=[m.label for m in months]),
                "true_cost": rounded[cust, mon],
            }
        ),
        "SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(month AS VARCHAR) AS month, "
        "CAST(true_cost AS DECIMAL(24, 6)) AS true_cost FROM frame",
        out_dir / "ground_truth.csv",
    )


#: How each shared service's cost follows its metric (ground_truth_unit_costs.csv `cost_shape`):
#: in proportion (linear), by whole instances sized to the hour's load (stepwise), not at all
#: within the window (fixed), or billed once a month and spread evenly over its days.
COST_SHAPES: tuple[str, ...] = ("stepwise", "fixed", "linear", "linear", "linear", "billed_monthly")


def _cpu_unit_cost(bill: MonthBill) -> np.ndarray:
    """(days, regions) list dollars one more core-hour of a day costs the shared EC2 cluster: the
    expected slope of its instance count (the ceiling of the hour's load over an instance's
    capacity, two at least), at the savings plan rate while the committed instances are not all
    running (us-east-1) and on demand otherwise."""
    w, nd = bill.w, bill.nd
    diurnal = np.tile(ec2_diurnal(), (nd, 1))  # (hours, regions)
    capacity = EC2_SHARED_VCPU * EC2_TARGET_UTIL
    load = np.repeat(bill.totals[:, :, CPU], 24, axis=0) * diurnal / capacity
    running = w.ec2_running[bill.hours]
    price = np.full(running.shape, EC2_PRICE[EC2_SHARED_TYPE])
    price[:, 0] = np.where(running[:, 0] < w.commit_instances, SP_RATE, price[:, 0])
    # Above the floor of two instances, the rounded-up count grows by one instance per capacity.
    hourly = diurnal * (load > 1.5) * price / capacity
    return hourly.reshape(nd, 24, len(REGIONS)).sum(axis=1)


def month_unit_costs(bill: MonthBill) -> pd.DataFrame:
    """The month's true cost of one more unit of each shared service's metric, in USD: the
    list price (the EU account's euro price list converted at each day's rate, plus the
    data-residency surcharge in its region), weighted by the region-days' true consumption; the
    fixed part per day is the mean daily cost less that unit cost times the mean daily volume."""
    region_usd = bill.conv[:, REGION_ACCOUNT]  # (days, regions) USD per list dollar
    surcharge = np.array([1.0 + DATA_RESIDENCY_RATE if r.id == DATA_RESIDENCY_REGION else 1.0 for r in REGIONS])
    usd = region_usd * surcharge[None, :]
    unit = np.zeros(bill.shared_cost.shape)  # (days, regions, metrics) list dollars per unit
    unit[:, :, CPU] = _cpu_unit_cost(bill)
    unit[:, :, STORAGE] = S3_PRICE / bill.days_in_month[:, None]  # a GB stored for a day
    unit[:, :, EGRESS] = CLOUDFRONT_PRICE
    unit[:, :, FUNCS] = LAMBDA_PRICE
    unit[:, :, LOGS] = CLOUDWATCH_PRICE
    unit_usd = unit * usd[:, :, None]
    cost_usd = bill.shared_cost * usd[:, :, None]
    # The monthly CloudWatch row is spread evenly and converted day by day (as in the truth).
    unit_usd[:, :, LOGS] = CLOUDWATCH_PRICE * usd.mean(axis=0)[None, :]
    cost_usd[:, :, LOGS] = bill.shared_cost[:, :, LOGS] * usd.mean(axis=0)[None, :]
    rows = []
    for m, metric in enumerate(METRICS):
        volume = bill.totals[:, :, m]
        if volume.sum() <= 0:
            continue
        unit_cost = float((unit_usd[:, :, m] * volume).sum() / volume.sum())
        daily_cost = cost_usd[:, :, m].sum(axis=1)
        fixed = float(daily_cost.mean() - unit_cost * volume.sum(axis=1).mean())
        rows.append((METRIC_SERVICE[m], metric, bill.month.label, COST_SHAPES[m], unit_cost, fixed,
                     float(daily_cost.mean()), float(volume.sum(axis=1).mean())))
    return pd.DataFrame(rows, columns=list(UNIT_COST_COLUMNS))


#: The columns of ground_truth_unit_costs.csv.
UNIT_COST_COLUMNS: tuple[str, ...] = (
    "service_name",
    "metric",
    "month",
    "cost_shape",
    "true_unit_cost",
    "true_fixed_cost_daily",
    "true_cost_daily",
    "true_volume_daily",
)


def write_unit_costs(frames: list[pd.DataFrame], out_dir: Path, writer: Writer) -> None:
    """ground_truth_unit_costs.csv: one row per shared service, metric and month (USD)."""
    writer.write_csv(
        pd.concat(frames, ignore_index=True),
        "SELECT service_name, metric, month, cost_shape, "
        "CAST(round(true_unit_cost, 10) AS DECIMAL(28, 10)) AS true_unit_cost, "
        "CAST(round(true_fixed_cost_daily, 6) AS DECIMAL(24, 6)) AS true_fixed_cost_daily, "
        "CAST(round(true_cost_daily, 6) AS DECIMAL(24, 6)) AS true_cost_daily, "
        "CAST(round(true_volume_daily, 6) AS DECIMAL(28, 6)) AS true_volume_daily FROM frame",
        out_dir / "ground_truth_unit_costs.csv",
    )

"""One month's bill while it is simulated: its rows so far and what they cost whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from cpc.generate.billing import Rows
from cpc.generate.company import ACCOUNT_FACTOR, ACCOUNTS, METRICS, REGIONS
from cpc.generate.periods import Month, days_in_month

if TYPE_CHECKING:
    from cpc.generate.catalog import Catalogs
    from cpc.generate.kubernetes import Cluster
    from cpc.generate.world import World


@dataclass
class MonthBill:
    """The month's cost rows (in list dollars) and, for the ground truth, where their cost goes:
    to a shared service of a region (split by consumption), to a customer (dedicated), or to
    nobody (unattributed, USD); and each account's usage per day (the tax base)."""

    w: World
    cat: Catalogs
    cluster: Cluster
    month: Month
    rng: np.random.Generator
    fx: np.ndarray  # (days, accounts) USD per unit of the billing currency
    conv: np.ndarray  # (days, accounts) USD per list dollar of the simulation
    hours: np.ndarray  # the window's hour indices in this month
    day_start: np.ndarray  # (days,) the first hour index of each day
    days_in_month: np.ndarray  # (days,) days of the calendar month (all equal)
    consumption: np.ndarray  # (days, customers, metrics) true consumption
    totals: np.ndarray  # (days, regions, metrics) region totals of true consumption
    rows: Rows
    shared_cost: np.ndarray  # (days, regions, metrics) list dollars
    dedicated: np.ndarray  # flattened (day, customer) list dollars
    usage_cost: np.ndarray  # (days, accounts) list dollars: the tax base
    unattributed: float = 0.0

    @property
    def d0(self) -> int:
        return self.month.d0

    @property
    def d1(self) -> int:
        return self.month.d1

    @property
    def nd(self) -> int:
        """The number of days of the month in the window."""
        return self.month.d1 - self.month.d0

    def add_usage(self, day: np.ndarray, account: int | np.ndarray, cost: np.ndarray) -> None:
        """Add to the accounts' usage (the tax base) of the month's days `day`."""
        np.add.at(self.usage_cost, (day, account), cost)


def open_month(
    w: World, cat: Catalogs, cluster: Cluster, fx: np.ndarray, month: Month, index: int
) -> MonthBill:
    """An empty bill for `month` (the `index`-th of the window); `fx`: days x accounts."""
    d0, d1 = month.d0, month.d1
    nd = d1 - d0
    fx_month = fx[d0:d1]
    n_regions = len(REGIONS)
    q = w.consumption[d0:d1]
    onehot = np.zeros((w.n, n_regions))
    onehot[np.arange(w.n), w.region] = 1.0
    return MonthBill(
        w=w,
        cat=cat,
        cluster=cluster,
        month=month,
        rng=np.random.default_rng([w.seed, 3, index]),
        fx=fx_month,
        conv=fx_month * ACCOUNT_FACTOR[None, :],
        hours=np.arange(24 * d0, 24 * d1),
        day_start=np.arange(d0, d1) * 24,
        days_in_month=np.array(
            [days_in_month(w.start + timedelta(days=int(d))) for d in range(d0, d1)]
        ),
        consumption=q,
        totals=np.einsum("dcm,cr->drm", q, onehot),
        rows=Rows(),
        shared_cost=np.zeros((nd, n_regions, len(METRICS))),
        dedicated=np.zeros(nd * w.n),
        usage_cost=np.zeros((nd, len(ACCOUNTS))),
    )

"""Revenue (revenue.csv): what each customer pays each month it is active."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpc.generate.company import SEGMENT_PRICE
from cpc.generate.periods import Month, days_in_month
from cpc.generate.world import World

if TYPE_CHECKING:
    from cpc.generate.files import Writer


def revenue(w: World, months: list[Month]) -> np.ndarray:
    """(customers, months) revenue as revenue.csv writes it: size x segment price x a per-customer
    deal factor, prorated by the customer's active days in the month, in cents."""
    active_days = np.zeros((w.n, len(months)))
    for i, m in enumerate(months):
        lo = np.maximum(w.first, m.d0)
        hi = np.minimum(w.last + 1, m.d1)
        active_days[:, i] = np.maximum(hi - lo, 0)
    month_days = np.array([days_in_month(w.start + timedelta(days=m.d0)) for m in months])
    monthly = w.size * SEGMENT_PRICE[w.segment] * w.revenue_factor
    amounts = np.round(monthly[:, None] * active_days / month_days[None, :], 2)
    return np.where(active_days > 0, amounts, np.nan)


def write_revenue(
    w: World, months: list[Month], amounts: np.ndarray, out_dir: Path, writer: Writer
) -> None:
    """revenue.csv: one row per customer and month with active days (see `revenue`)."""
    cust, mon = np.nonzero(~np.isnan(amounts))  # ordered by customer, month
    writer.write_csv(
        pd.DataFrame(
            {
                "customer_id": pd.Categorical.from_codes(cust, categories=w.ids),
                "month": pd.Categorical.from_codes(mon, categories=[m.label for m in months]),
                "revenue": amounts[cust, mon],
            }
        ),
        "SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(month AS VARCHAR) AS month, "
        "CAST(revenue AS DECIMAL(18, 2)) AS revenue, 'USD' AS currency FROM frame",
        out_dir / "revenue.csv",
    )

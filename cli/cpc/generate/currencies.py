"""Currencies: the EUR rates of fx_rates.csv and the rate the pipeline converts each day at."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpc.generate.company import ACCOUNTS, REPORTING_CURRENCY
from cpc.generate.world import World

if TYPE_CHECKING:
    from cpc.generate.files import Writer

#: fx_rates.csv: EUR in USD, a mean-reverting random walk around FX_CENTER, published on
#: weekdays (not on the fixed-date TARGET closing days) from FX_LEAD_DAYS before the window.
FX_CENTER = 1.08
FX_DAILY_SIGMA = 0.004
FX_REVERSION = 0.03
FX_LEAD_DAYS = 10
FX_CLOSED: frozenset[tuple[int, int]] = frozenset({(1, 1), (5, 1), (12, 25), (12, 26)})


def fx_rates(w: World) -> tuple[pd.DataFrame, np.ndarray]:
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


def write_fx_rates(frame: pd.DataFrame, out_dir: Path, writer: Writer) -> None:
    """fx_rates.csv: the published rates."""
    writer.write_csv(
        frame,
        "SELECT CAST(date AS DATE) AS date, currency, CAST(rate AS DECIMAL(12, 4)) AS rate "
        "FROM frame ORDER BY date, currency",
        out_dir / "fx_rates.csv",
    )


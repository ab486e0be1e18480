"""Calendar months of the window and month arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np


@dataclass
class Month:
    """One calendar month of the window (the window may start or end inside it)."""

    label: str  # YYYY-MM
    d0: int  # first window day index in this month
    d1: int  # one past the last
    period_start: str
    period_end: str


def calendar_months(start: date, days: int) -> list[Month]:
    """The calendar months the window of `days` days from `start` touches, in order."""
    out = []
    d = 0
    while d < days:
        current = start + timedelta(days=d)
        month_start = current.replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        d1 = min(days, (next_month - start).days)
        out.append(
            Month(
                label=f"{month_start:%Y-%m}",
                d0=d,
                d1=d1,
                period_start=f"{month_start:%Y-%m-%d}T00:00:00Z",
                period_end=f"{next_month:%Y-%m-%d}T00:00:00Z",
            )
        )
        d = d1
    return out


def month_of_day(days: int, months: list[Month]) -> np.ndarray:
    """(days,) the index in `months` of each window day's month."""
    out = np.empty(days, dtype=np.int64)
    for i, m in enumerate(months):
        out[m.d0 : m.d1] = i
    return out


def days_in_month(d: date) -> int:
    """The number of days of the calendar month of `d`."""
    nxt = (d.replace(day=1) + timedelta(days=32)).replace(day=1)
    return (nxt - d.replace(day=1)).days


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months, clamped to the target month's last day (like the
    pipeline's add_months: 2024-02-29 + 12 months = 2025-02-28)."""
    year, month = divmod(day.month - 1 + months, 12)
    first = date(day.year + year, month + 1, 1)
    return first.replace(day=min(day.day, days_in_month(first)))

"""Support: tickets opened by active customers and handled by agents of three tiers at hourly
rates (support_tickets.csv, support_rates.csv), and each ticket's true cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpc.generate.periods import Month, month_of_day
from cpc.generate.world import World

if TYPE_CHECKING:
    from cpc.generate.files import Writer

#: Support: agent tiers, their hourly rates (USD) and how often each handles a ticket.
SUPPORT_TIERS: tuple[str, ...] = ("tier1", "tier2", "engineer")
SUPPORT_RATE = np.array([40.0, 65.0, 120.0])
SUPPORT_TIER_P = np.array([0.75, 0.20, 0.05])
#: The engineer rate from the middle of the window on.
ENGINEER_RATE_RAISED = 135.0
ENGINEER = SUPPORT_TIERS.index("engineer")
#: Mean tickets per active customer-day by segment (free, smb, mid-market, enterprise).
SEGMENT_TICKETS = np.array([0.005, 0.015, 0.04, 0.1])
SUPPORT_MINUTES_MEDIAN = 25.0
SUPPORT_UNKNOWN_SHARE = 0.02
SUPPORT_RATES_SINCE = date(2020, 1, 1)


@dataclass
class Support:
    """The window's tickets and the agents' rates."""

    tickets: pd.DataFrame  # day, second, customer (-1: deleted), deleted, handle_minutes, tier
    rates: pd.DataFrame
    cost: np.ndarray  # (tickets,) true cost of each ticket
    raise_day: int  # window day index from which the engineer's raised rate applies


def _rates(start: date, raise_day: int) -> pd.DataFrame:
    """The tiers' hourly rates since long before the window; the engineer's rises on the window
    day `raise_day` (effective_to is exclusive, empty when open)."""
    since = SUPPORT_RATES_SINCE if SUPPORT_RATES_SINCE < start else start - timedelta(days=365)
    switch = (start + timedelta(days=raise_day)).isoformat()
    rows = [
        (t, float(SUPPORT_RATE[i]), since.isoformat(), None) for i, t in enumerate(SUPPORT_TIERS)
    ]
    rows[ENGINEER] = (rows[ENGINEER][0], rows[ENGINEER][1], rows[ENGINEER][2], switch)
    rows.append(("engineer", ENGINEER_RATE_RAISED, switch, None))
    return pd.DataFrame(
        rows, columns=["agent_tier", "hourly_rate", "effective_from", "effective_to"]
    )


def build_support(w: World) -> Support:
    """Support tickets and agent rates for the window (vectorised over customer-days)."""
    rng = np.random.default_rng([w.seed, 5])
    # Heavy tail: a per-customer lognormal factor (mean 1) on the segment's daily rate.
    factor = rng.lognormal(-0.5 * 0.9**2, 0.9, w.n)
    rate = np.minimum(SEGMENT_TICKETS[w.segment] * factor, 5.0)
    counts = rng.poisson(np.where(w.active(), rate[None, :], 0.0))
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
    return Support(
        tickets=tickets,
        rates=_rates(w.start, raise_day),
        cost=np.where(deleted, 0.0, cost),
        raise_day=raise_day,
    )


def support_truth(w: World, months: list[Month], s: Support) -> np.ndarray:
    """(customers, months) support cost of the known customers' tickets."""
    month_index = month_of_day(w.days, months)
    out = np.zeros((w.n, len(months)))
    codes = s.tickets["customer"].cat.codes.to_numpy()
    known = codes >= 0
    day = s.tickets["day"].to_numpy()
    np.add.at(out, (codes[known], month_index[day[known]]), s.cost[known])
    return out


def write_support(w: World, s: Support, out_dir: Path, writer: Writer) -> None:
    """support_tickets.csv and support_rates.csv."""
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


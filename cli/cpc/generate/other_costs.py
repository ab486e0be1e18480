"""Other costs: what the company spends outside the cloud bill (other_costs.csv), each amortized
inside the window, and how the demo rules place them on customers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpc.generate.periods import Month, add_months, month_of_day
from cpc.generate.world import World

if TYPE_CHECKING:
    from cpc.generate.files import Writer

#: The pool the demo rules split evenly among the customers active each day.
OTHER_COSTS_POOL = "platform"
#: Monthly engineering payroll per customer of the company (USD).
ENGINEERING_PER_CUSTOMER = 8.0
#: The customer id a cost names for a customer deleted from customers.csv.
OTHER_COSTS_DELETED_CUSTOMER = "cust-deleted-00"


@dataclass(frozen=True)
class OtherCost:
    """A cost outside the cloud bill, as the simulation knows it and as the file writes it."""

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


def fitted_months(incurred: date, wanted: int, end: date) -> int:
    """The most whole months, up to ``wanted``, that an amortization from ``incurred`` can run
    and still end by ``end`` (exclusive); 0 (expensed that day) when not even one fits."""
    months = wanted
    while months > 0 and add_months(incurred, months) > end:
        months -= 1
    return months


def other_cost_schedule(cost: OtherCost) -> tuple[date, date]:
    """The cost's amortization period [first day, end) (one day when expensed)."""
    if cost.months == 0:
        return cost.incurred, cost.incurred + timedelta(days=1)
    return cost.incurred, add_months(cost.incurred, cost.months)


class _Booking:
    """Days and amounts of the costs booked in the window (amounts vary a little at random)."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.rng = np.random.default_rng([w.seed, 7])
        self.end = w.start + timedelta(days=w.days)

    def on_day(self, index: int) -> date:
        """The window's day `index`, clamped into the window."""
        return self.w.start + timedelta(days=min(max(index, 0), self.w.days - 1))

    def cents(self, value: float) -> float:
        """About `value`, in whole cents."""
        return round(float(value) * float(self.rng.lognormal(0.0, 0.05)), 2)

    def months(self, incurred: date, wanted: int) -> int:
        """Amortization months from `incurred`, up to `wanted`, that end inside the window."""
        return fitted_months(incurred, wanted, self.end)


def _salaries(b: _Booking) -> list[OtherCost]:
    """Engineering salaries: booked on the 15th of each month, amortized over a year when the
    window allows it (12 months from mid-month runs across a year end), else as long as fits."""
    w = b.w
    costs = []
    payday = w.start.replace(day=15)
    if payday < w.start:
        payday = add_months(payday, 1)
    while payday < b.end:
        costs.append(
            OtherCost(
                cost_id=f"ENG-{payday:%Y-%m}",
                description=f"Engineering salaries {payday:%Y-%m}",
                category="Engineering",
                amount=b.cents(ENGINEERING_PER_CUSTOMER * w.n),
                incurred=payday,
                months=b.months(payday, 12),
            )
        )
        payday = add_months(payday, 1)
    return costs


def _platform_costs(b: _Booking) -> list[OtherCost]:
    """Shared platform costs, split evenly by the demo rules (hardware bought on leap day when
    the window has one)."""
    w = b.w
    window = [b.on_day(d) for d in range(w.days)]
    leap_days = [day for day in window if day.month == 2 and day.day == 29]
    hardware_day = leap_days[0] if leap_days else b.on_day(w.days // 4)
    return [
        OtherCost(
            cost_id="HW-1",
            description="Build servers" + (" bought on leap day" if leap_days else ""),
            category="hardware",
            amount=b.cents(4.0 * w.n),
            incurred=hardware_day,
            months=b.months(hardware_day, 36),
            pool=OTHER_COSTS_POOL,
        ),
        OtherCost(
            cost_id="SEC-1",
            description="Vulnerability scanner licence",
            category=" security ",
            amount=b.cents(3.0 * w.n),
            incurred=w.start,
            months=b.months(w.start, 12),
            pool=OTHER_COSTS_POOL,
            currency=None,
        ),
        OtherCost(
            cost_id="SEC-2",
            description="SOC 2 compliance audit",
            category="Compliance",
            amount=b.cents(2.5 * w.n),
            incurred=b.on_day(w.days // 3),
            months=0,
            pool=OTHER_COSTS_POOL,
        ),
        OtherCost(
            cost_id="LIC-1",
            description="Developer tool licences",
            category="licence",
            amount=b.cents(1.0 * w.n),
            incurred=b.on_day(w.days // 2),
            months=b.months(b.on_day(w.days // 2), 1),
            pool=OTHER_COSTS_POOL,
        ),
    ]


def _named_costs(b: _Booking) -> list[OtherCost]:
    """Costs that name their customer: the largest customers' dedicated security hardware and
    integration work (engineering, yet placed on the customer before any rule), and one for a
    customer deleted from customers.csv."""
    w = b.w
    largest = [int(i) for i in np.argsort(-w.size, kind="stable")[:2]]
    costs = [
        OtherCost(
            cost_id=f"HSM-{rank + 1}",
            description=f"Dedicated HSM for {w.ids[customer]}",
            category="security",
            amount=b.cents(2.0 * w.n),
            incurred=b.on_day(2 + rank),
            months=b.months(b.on_day(2 + rank), 12),
            customer=customer,
            customer_id=w.ids[customer],
            amount_text=None if rank else "${:,.2f}",
        )
        for rank, customer in enumerate(largest)
    ]
    return costs + [
        OtherCost(
            cost_id="INT-1",
            description=f"Custom integration for {w.ids[largest[0]]}",
            category="engineering",
            amount=b.cents(1.5 * w.n),
            incurred=b.on_day(w.days // 2),
            months=0,
            customer=largest[0],
            customer_id=w.ids[largest[0]].upper(),
            months_text="",
        ),
        OtherCost(
            cost_id="ONB-1",
            description="Onboarding workshop",
            category="engineering",
            amount=b.cents(0.25 * w.n),
            incurred=b.on_day(1),
            months=0,
            customer=-1,
            customer_id=OTHER_COSTS_DELETED_CUSTOMER,
        ),
    ]


def other_costs(w: World) -> list[OtherCost]:
    """The company's other costs in the window, each amortized inside it."""
    booking = _Booking(w)
    return _salaries(booking) + _platform_costs(booking) + _named_costs(booking)


def other_costs_truth(
    w: World, months: list[Month], costs: list[OtherCost], revenue: np.ndarray
) -> np.ndarray:
    """(customers, months) other costs as the demo rules place them: a cost naming a known
    customer on that customer; engineering by the customers' revenue in each day's month; the
    platform pool evenly among the customers active each day; anything else on nobody."""
    month_index = month_of_day(w.days, months)
    active = w.active()
    paying = np.nan_to_num(revenue)
    out = np.zeros((w.n, len(months)))
    for cost in costs:
        first, end = other_cost_schedule(cost)
        d0, d1 = (first - w.start).days, (end - w.start).days
        per_day = cost.amount / (d1 - d0)
        for d in range(d0, d1):
            m = month_index[d]
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


def write_other_costs(costs: list[OtherCost], out_dir: Path, writer: Writer) -> None:
    """other_costs.csv: one row per cost, written as the company's files spell it."""
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

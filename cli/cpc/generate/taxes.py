"""Tax and credits: per account, computed in its billing currency on its usage of the day."""

from __future__ import annotations

import numpy as np

from cpc.generate.bill import MonthBill
from cpc.generate.billing import Rows
from cpc.generate.company import ACCOUNT_FACTOR, ACCOUNTS, TAX_RATE
from cpc.generate.util import round_to


def tax_and_credits(bill: MonthBill) -> tuple[Rows, np.ndarray]:
    """The month's tax rows (one per active account and day) and credit rows (one or two days
    an account), and their (days, accounts) amounts in the billing currency."""
    w, nd, rng, day_start = bill.w, bill.nd, bill.rng, bill.day_start
    lines, sources = bill.cat.lines, bill.cat.sources
    fees = Rows()
    extra = np.zeros((nd, len(ACCOUNTS)))
    for a in range(len(ACCOUNTS)):
        if not w.account_active[a]:
            continue
        usage_local = bill.usage_cost[:, a] * ACCOUNT_FACTOR[a]
        tax = round_to(usage_local * TAX_RATE, 2)
        fees.add(
            h0=day_start,
            h1=day_start + 24,
            src=sources.get(("tax", a)),
            line=lines.get("tax"),
            billed=tax,
            effective=tax,
            list=tax,
            contracted=tax,
        )
        extra[:, a] += tax
        credit_days = rng.choice(nd, size=min(nd, int(rng.integers(1, 3))), replace=False)
        credit_days.sort()
        credit = -round_to(usage_local[credit_days] * rng.uniform(0.02, 0.08, len(credit_days)), 2)
        fees.add(
            h0=day_start[credit_days],
            h1=day_start[credit_days] + 24,
            src=sources.get(("credit", a)),
            line=lines.get("credit"),
            billed=credit,
            effective=credit,
            list=0.0,
            contracted=0.0,
        )
        np.add.at(extra[:, a], credit_days, credit)
    return fees, extra

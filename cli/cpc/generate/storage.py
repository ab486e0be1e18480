"""Storage in the bill: the customers' own tagged buckets and the buckets deleted customers left
behind (the shared bucket is a metered service, see metered.py)."""

from __future__ import annotations

import numpy as np

from cpc.generate.bill import MonthBill
from cpc.generate.company import REGIONS, S3_PRICE
from cpc.generate.util import round_to


def _dedicated_buckets(bill: MonthBill) -> None:
    """One row per dedicated bucket and day it holds data, for its owner."""
    w = bill.w
    owners = np.array(sorted(w.dedicated_s3))
    gb = w.dedicated_gb[bill.d0 : bill.d1][:, owners]  # (nd, owners)
    dd, oo = np.nonzero(gb > 0)
    qty = round_to(gb[dd, oo] / bill.days_in_month[dd])
    cost = round_to(qty * S3_PRICE)
    owner = owners[oo]
    src = np.array([w.dedicated_s3[int(o)] for o in owners])[oo]
    line = np.array([bill.cat.lines.get(("s3", r)) for r in range(len(REGIONS))])[w.region[owner]]
    bill.rows.add(
        h0=bill.day_start[dd],
        h1=bill.day_start[dd] + 24,
        src=src,
        line=line,
        consumed=qty,
        pricing=qty,
        billed=cost,
        effective=cost,
        list=cost,
        contracted=cost,
    )
    bill.dedicated[:] += np.bincount(dd * w.n + owner, weights=cost, minlength=bill.nd * w.n)
    bill.add_usage(dd, bill.cat.src_account[src], cost)


def _leftover_buckets(bill: MonthBill) -> None:
    """One row per leftover bucket and day: a fixed volume that belongs to nobody."""
    nd = bill.nd
    for src, gb_stored in bill.w.orphan_s3:
        qty = round_to(np.full(nd, gb_stored) / bill.days_in_month)
        cost = round_to(qty * S3_PRICE)
        bill.rows.add(
            h0=bill.day_start,
            h1=bill.day_start + 24,
            src=src,
            line=bill.cat.lines.get(("s3", 0)),
            consumed=qty,
            pricing=qty,
            billed=cost,
            effective=cost,
            list=cost,
            contracted=cost,
        )
        bill.unattributed += float(cost.sum())
        bill.add_usage(np.arange(nd), 0, cost)


def add_buckets(bill: MonthBill) -> None:
    """The month's dedicated and leftover bucket rows."""
    if bill.w.dedicated_s3:
        _dedicated_buckets(bill)
    _leftover_buckets(bill)

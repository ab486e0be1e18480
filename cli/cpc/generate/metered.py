"""Shared services billed by metered quantity: storage, CDN egress and function time (a row per
region and day), logs (a row per region and month) and the audit trail (a row per account and
day, platform overhead that belongs to nobody)."""

from __future__ import annotations

import numpy as np

from cpc.generate.bill import MonthBill
from cpc.generate.company import (
    ACCOUNTS,
    CLOUDFRONT_PRICE,
    CLOUDTRAIL_PRICE,
    CLOUDWATCH_PRICE,
    EGRESS,
    FUNCS,
    LAMBDA_PRICE,
    LOGS,
    REGION_ACCOUNT,
    REGIONS,
    S3_PRICE,
    STORAGE,
)
from cpc.generate.util import round_to


def _daily(
    bill: MonthBill, r: int, metric: int, kind: str, price: float, divisor: np.ndarray | int
) -> None:
    """One row a day of region `r`'s shared service `kind`, for the region's total `metric`."""
    qty = round_to(bill.totals[:, r, metric] / divisor)
    cost = round_to(qty * price)
    bill.rows.add(
        h0=bill.day_start,
        h1=bill.day_start + 24,
        src=bill.cat.sources.get((kind, r)),
        line=bill.cat.lines.get((kind, r)),
        consumed=qty,
        pricing=qty,
        billed=cost,
        effective=cost,
        list=cost,
        contracted=cost,
    )
    bill.shared_cost[:, r, metric] += cost
    bill.add_usage(np.arange(bill.nd), REGIONS[r].account, cost)


def add_daily_services(bill: MonthBill) -> None:
    """The shared bucket (GB-months: a day is 1/days-in-month of its GB), CDN egress and
    function time of every active region."""
    w = bill.w
    for r in range(len(REGIONS)):
        if not w.region_active[r]:
            continue
        for metric, kind, price, divisor in (
            (STORAGE, "s3", S3_PRICE, bill.days_in_month),
            (EGRESS, "cloudfront", CLOUDFRONT_PRICE, 1),
            (FUNCS, "lambda", LAMBDA_PRICE, 1),
        ):
            if metric == STORAGE and not w.uses[w.region == r, STORAGE].any():
                continue
            _daily(bill, r, metric, kind, price, divisor)


def add_logs(bill: MonthBill) -> None:
    """CloudWatch: one row per region for the (generated part of the) month."""
    nd = bill.nd
    for r in range(len(REGIONS)):
        if not bill.w.region_active[r]:
            continue
        day_gb = bill.totals[:, r, LOGS]
        gb = round_to(day_gb.sum())
        cost = float(round_to(gb * CLOUDWATCH_PRICE))
        bill.rows.add(
            h0=24 * bill.d0,
            h1=24 * bill.d1,
            src=bill.cat.sources.get(("cloudwatch", r)),
            line=bill.cat.lines.get(("cloudwatch", r)),
            consumed=gb,
            pricing=gb,
            billed=cost,
            effective=cost,
            list=cost,
            contracted=cost,
        )
        # The month's cost, spread over the days by what was actually ingested that day.
        bill.shared_cost[:, r, LOGS] += cost * day_gb / day_gb.sum() if day_gb.sum() > 0 else 0.0
        bill.add_usage(np.arange(nd), REGIONS[r].account, np.full(nd, cost / nd))


def add_audit_trail(bill: MonthBill) -> None:
    """CloudTrail: one row per active account and day, events growing with its customers."""
    w, nd = bill.w, bill.nd
    for a in range(len(ACCOUNTS)):
        if not w.account_active[a]:
            continue
        in_account = int((REGION_ACCOUNT[w.region] == a).sum())
        events = np.round((40_000 + 25 * in_account) * bill.rng.lognormal(0, 0.1, nd))
        pricing_qty = round_to(events / 100_000)
        cost = round_to(pricing_qty * CLOUDTRAIL_PRICE)
        bill.rows.add(
            h0=bill.day_start,
            h1=bill.day_start + 24,
            src=bill.cat.sources.get(("cloudtrail", a)),
            line=bill.cat.lines.get(("cloudtrail", a)),
            consumed=events,
            pricing=pricing_qty,
            billed=cost,
            effective=cost,
            list=cost,
            contracted=cost,
        )
        bill.unattributed += float((cost * bill.conv[:, a]).sum())
        bill.add_usage(np.arange(nd), a, cost)

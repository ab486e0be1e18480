"""Compute in the bill: the shared EC2 cluster with its savings plan, the shared databases, and
dedicated (or leftover) instances and databases billed by the hour."""

from __future__ import annotations

import numpy as np

from cpc.generate.bill import MonthBill
from cpc.generate.catalog import DEDICATED_EC2_TYPE
from cpc.generate.company import (
    CPU,
    DB,
    EC2_PRICE,
    EC2_SHARED_TYPE,
    RDS_PRICE,
    RDS_SHARED_TYPE,
    REGIONS,
    SP_RATE,
)
from cpc.generate.util import expand, round_to


def _shared_cluster(bill: MonthBill, r: int) -> None:
    """The shared EC2 cluster of region `r`, one row per instance-hour; in us-east-1 the first
    instances are covered by the savings plan, and its unused hours are billed too."""
    w, lines, hours, d0 = bill.w, bill.cat.lines, bill.hours, bill.d0
    running = w.ec2_running[hours, r]
    which, inst = expand(np.zeros(len(hours), dtype=np.int64), running)
    hour = hours[which]
    src = bill.cat.ec2_shared[r][inst]
    price = EC2_PRICE[EC2_SHARED_TYPE]
    ondemand_line = lines.get(("ec2", r, EC2_SHARED_TYPE))
    if r == 0:
        committed = inst < w.commit_instances
        line = np.where(committed, lines.get("ec2-committed"), ondemand_line)
        billed = np.where(committed, 0.0, price)
        effective = np.where(committed, SP_RATE, price)
    else:
        line = np.full(len(hour), ondemand_line)
        billed = effective = np.full(len(hour), price)
    bill.rows.add(
        h0=hour,
        h1=hour + 1,
        src=src,
        line=line,
        consumed=1.0,
        pricing=1.0,
        billed=billed,
        effective=effective,
        list=price,
        contracted=price,
    )
    day = hour // 24 - d0
    bill.shared_cost[:, r, CPU] += np.bincount(day, weights=effective, minlength=bill.nd)
    bill.add_usage(day, REGIONS[r].account, effective)
    if r == 0:
        unused_n = np.maximum(w.commit_instances - running, 0)
        idle = unused_n > 0
        amount = round_to(unused_n[idle] * SP_RATE)
        uh = hours[idle]
        bill.rows.add(
            h0=uh,
            h1=uh + 1,
            src=bill.cat.sources.get("sp-unused"),
            line=lines.get("sp-unused"),
            billed=0.0,
            effective=amount,
            list=0.0,
            contracted=0.0,
        )
        bill.unattributed += float(amount.sum())
        bill.add_usage(uh // 24 - d0, 0, amount)


def _savings_plan_fee(bill: MonthBill) -> None:
    """The savings plan purchase: the fee for the hours of this month that are generated."""
    hours = bill.hours
    fee = round_to(bill.w.commit_instances * SP_RATE * len(hours))
    bill.rows.add(
        h0=hours[0],
        h1=hours[-1] + 1,
        src=bill.cat.commitment_src,
        line=bill.cat.lines.get("sp-purchase"),
        pricing=float(len(hours)),
        billed=fee,
        effective=0.0,
        list=fee,
        contracted=fee,
    )


def _hourly(
    bill: MonthBill, specs: list[tuple[int, str, int]], kind: str, prices: dict[str, float]
) -> None:
    """Dedicated resources billed by the hour while their owner is active; `specs`: (owner,
    type, source) with owner -1 for a leftover of a deleted customer (always on, nobody's)."""
    if not specs:
        return
    w, d0, d1 = bill.w, bill.d0, bill.d1
    owner = np.array([s[0] for s in specs])
    src = np.array([s[2] for s in specs])
    price = np.array([prices[s[1]] for s in specs])
    line = np.array(
        [
            bill.cat.lines.get((kind, int(w.region[o]) if o >= 0 else 0, s[1]))
            for o, s in zip(owner, specs, strict=True)
        ]
    )
    first = np.where(owner >= 0, w.first[np.maximum(owner, 0)], 0)
    last = np.where(owner >= 0, w.last[np.maximum(owner, 0)], w.days - 1)
    lo = np.maximum(first, d0) * 24
    hi = (np.minimum(last, d1 - 1) + 1) * 24
    which, hour = expand(lo, hi)
    p = price[which]
    bill.rows.add(
        h0=hour,
        h1=hour + 1,
        src=src[which],
        line=line[which],
        consumed=1.0,
        pricing=1.0,
        billed=p,
        effective=p,
        list=p,
        contracted=p,
    )
    day = hour // 24 - d0
    o = owner[which]
    known = o >= 0
    bill.dedicated[:] += np.bincount(
        day[known] * w.n + o[known], weights=p[known], minlength=bill.nd * w.n
    )
    bill.unattributed += float(p[~known].sum())
    bill.add_usage(day, bill.cat.src_account[src[which]], p)


def _shared_databases(bill: MonthBill, r: int) -> None:
    """Region `r`'s shared database instances, one row per instance-hour."""
    count = int(bill.w.rds_shared[r])
    if count == 0:
        return
    nd = bill.nd
    which, hour = expand(np.full(count, 24 * bill.d0), np.full(count, 24 * bill.d1))
    price = RDS_PRICE[RDS_SHARED_TYPE]
    bill.rows.add(
        h0=hour,
        h1=hour + 1,
        src=bill.cat.rds_shared[r][which],
        line=bill.cat.lines.get(("rds", r, RDS_SHARED_TYPE)),
        consumed=1.0,
        pricing=1.0,
        billed=price,
        effective=price,
        list=price,
        contracted=price,
    )
    bill.shared_cost[:, r, DB] += price * count * 24
    bill.add_usage(np.arange(nd), REGIONS[r].account, np.full(nd, price * count * 24))


def add_compute(bill: MonthBill) -> None:
    """The month's instance and database rows."""
    w = bill.w
    for r in range(len(REGIONS)):
        if w.region_active[r]:
            _shared_cluster(bill, r)
    _savings_plan_fee(bill)
    orphans = [(-1, DEDICATED_EC2_TYPE, s) for s in w.orphan_ec2]
    _hourly(bill, w.dedicated_ec2 + orphans, "ec2", EC2_PRICE)
    for r in range(len(REGIONS)):
        _shared_databases(bill, r)
    _hourly(bill, w.dedicated_rds, "rds", RDS_PRICE)

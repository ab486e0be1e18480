"""One month of billing rows and each customer's true cost of it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cpc.generate import compute, kubernetes, metered, storage
from cpc.generate.bill import MonthBill, open_month
from cpc.generate.billing import Rows
from cpc.generate.catalog import Catalogs
from cpc.generate.company import (
    ACCOUNT_FACTOR,
    ACCOUNTS,
    DATA_RESIDENCY_RATE,
    DATA_RESIDENCY_REGION,
    LOGS,
    REGION_ACCOUNT,
    REGIONS,
)
from cpc.generate.ground_truth import month_unit_costs
from cpc.generate.kubernetes import Cluster
from cpc.generate.periods import Month
from cpc.generate.taxes import tax_and_credits
from cpc.generate.util import round_to
from cpc.generate.world import World


@dataclass
class MonthResult:
    """A month's rows (in billing currency) and each customer's true cost of it (USD)."""

    rows: dict[str, np.ndarray]
    truth: np.ndarray  # (customers,) true cost of the month
    unattributed: float
    unit_costs: pd.DataFrame  # the month's true unit costs (ground_truth.month_unit_costs)


def _customer_costs(bill: MonthBill) -> np.ndarray:
    """(days, customers) each customer's cost in USD before tax and credits: its share of each
    shared service's cost by consumption, its dedicated resources, its Kubernetes workloads."""
    w, q, totals, conv = bill.w, bill.consumption, bill.totals, bill.conv
    region_conv = conv[:, REGION_ACCOUNT]  # (nd, regions)
    shared_usd = bill.shared_cost * region_conv[:, :, None]
    # CloudWatch is one row per region and month: the pipeline spreads it evenly over its days
    # and converts each day at that day's rate, so it is worth its amount times the mean rate.
    shared_usd[:, :, LOGS] = bill.shared_cost[:, :, LOGS] * region_conv.mean(axis=0)[None, :]
    share = np.divide(
        q, totals[:, w.region, :], out=np.zeros_like(q), where=totals[:, w.region, :] > 0
    )
    account_of = REGION_ACCOUNT[w.region]
    cost_by_customer = (share * shared_usd[:, w.region, :]).sum(axis=2)
    cost_by_customer += bill.dedicated.reshape(bill.nd, w.n) * conv[:, account_of]
    leftover = shared_usd.sum() - (share * shared_usd[:, w.region, :]).sum()
    bill.unattributed += float(leftover)  # zero unless a shared service had no consumer on a day
    # Kubernetes tenants: their workloads' part of the node-days; idle and monitoring: nobody's.
    cost_by_customer[:, bill.cluster.tenants] += kubernetes.tenant_costs(bill)
    return cost_by_customer


def _in_billing_currency(bill: MonthBill) -> dict[str, np.ndarray]:
    """The rows so far, written in each account's currency (they are in list dollars)."""
    data = bill.rows.concat()
    scale = ACCOUNT_FACTOR[bill.cat.src_account[data["src"]]]
    for name in ("billed", "effective", "list", "contracted"):
        data[name] = round_to(data[name] * scale)
    return data


def _truth(bill: MonthBill, cost_by_customer: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """(customers,) the month's true cost in USD: the cost before tax, the account-day's tax and
    credits (`extra`, billing currency) in proportion to it, and the data-residency surcharge."""
    w = bill.w
    account_of = REGION_ACCOUNT[w.region]
    account_cost = np.zeros((bill.nd, len(ACCOUNTS)))
    for a in range(len(ACCOUNTS)):
        account_cost[:, a] = cost_by_customer[:, account_of == a].sum(axis=1)
    extra_usd = extra * bill.fx
    ratio = np.divide(extra_usd, account_cost, out=np.zeros_like(extra), where=account_cost > 0)
    bill.unattributed += float(extra_usd[account_cost <= 0].sum())
    # The data-residency surcharge follows the charges it is derived from: a customer of the
    # region owes the rate on its cost there before tax (tax and credit rows have no region).
    in_residency_region = np.array([r.id == DATA_RESIDENCY_REGION for r in REGIONS])[w.region]
    surcharge = DATA_RESIDENCY_RATE * cost_by_customer * in_residency_region[None, :]
    cost_by_customer *= 1.0 + ratio[:, account_of]
    return (cost_by_customer + surcharge).sum(axis=0)


def simulate_month(
    w: World, cat: Catalogs, cluster: Cluster, fx: np.ndarray, month: Month, index: int
) -> MonthResult:
    """One month's billing rows and each customer's true cost of the month (USD).

    Rows are simulated in list dollars and written in their account's currency (times the
    account's price-list factor); the truth converts them to USD at the rate the pipeline uses
    for each day (``fx``: days x accounts), so it is what the pipeline's conversion gives."""
    bill = open_month(w, cat, cluster, fx, month, index)
    # The order of the sources fixes the order of the rows and of the random draws.
    compute.add_compute(bill)
    metered.add_daily_services(bill)
    storage.add_buckets(bill)
    metered.add_logs(bill)
    metered.add_audit_trail(bill)
    kubernetes.add_node_rows(bill)

    cost_by_customer = _customer_costs(bill)
    data = _in_billing_currency(bill)
    fees, extra = tax_and_credits(bill)
    truth = _truth(bill, cost_by_customer, extra)
    if fees.parts:
        fee_rows = fees.concat()
        data = {name: np.concatenate([data[name], fee_rows[name]]) for name in Rows.FIELDS}
    # A small share of usage-based rows spell the frequency "Usage-based".
    flip = bill.rng.random(len(data["line"])) < 0.01
    data["line"] = np.where(flip, cat.variant[data["line"]], data["line"]).astype(np.int32)
    return MonthResult(
        rows=data, truth=truth, unattributed=bill.unattributed, unit_costs=month_unit_costs(bill)
    )

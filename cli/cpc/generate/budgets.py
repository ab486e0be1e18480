"""Budgets (budgets.csv): what finance expects some customers, and each smb customer, to cost.

* Every enterprise customer, and every customer with an injected anomaly, has a budget of its own
  each month it has cost: BUDGET_HEADROOM times its median monthly true cost, in whole dollars, so
  an ordinary month stays inside it and an anomaly can push a month over.
* The smb segment has one budget a month, for each of its customers: SMB_BUDGET_FACTOR times the
  median true cost of its customers with cost that month, in whole dollars.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpc.generate.company import ENT, SMB
from cpc.generate.periods import Month
from cpc.generate.world import World

if TYPE_CHECKING:
    from cpc.generate.files import Writer

BUDGET_HEADROOM = 1.25
SMB_BUDGET_FACTOR = 2.0


def write_budgets(w: World, months: list[Month], truth: np.ndarray, out_dir: Path, writer: Writer) -> None:
    """budgets.csv from the (customers, months) true cost (see the module docstring)."""
    own = (w.segment == ENT) | np.isin(np.arange(w.n), [a.customer for a in w.anomalies])
    rows: list[tuple[str | None, str | None, str, float]] = []
    for i in np.nonzero(own)[0]:
        costs = truth[i][truth[i] > 0]
        if costs.size == 0:
            continue
        amount = float(np.ceil(BUDGET_HEADROOM * np.median(costs)))
        rows += [(w.ids[i], None, m.label, amount) for m, cost in zip(months, truth[i]) if cost > 0]
    smb = truth[w.segment == SMB]
    for m, costs in zip(months, smb.T):
        if (costs > 0).any():
            rows.append((None, "smb", m.label, float(np.ceil(SMB_BUDGET_FACTOR * np.median(costs[costs > 0])))))
    writer.write_csv(
        pd.DataFrame(rows, columns=["customer_id", "segment", "month", "amount"]).astype(
            {"customer_id": "string", "segment": "string", "month": "string", "amount": "float64"}
        ),
        "SELECT customer_id, segment, month, CAST(amount AS DECIMAL(18, 2)) AS amount, 'USD' AS currency "
        "FROM frame",
        out_dir / "budgets.csv",
    )

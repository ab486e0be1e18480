"""The ground truth (ground_truth.csv): what each customer really drove each month, in USD."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpc.generate.periods import Month
from cpc.generate.world import World

if TYPE_CHECKING:
    from cpc.generate.files import Writer


def write_ground_truth(
    w: World, months: list[Month], truth: np.ndarray, out_dir: Path, writer: Writer
) -> None:
    """ground_truth.csv: one row per customer and month with a cost (rounded to 6 decimals)."""
    rounded = np.round(truth, 6)
    cust, mon = np.nonzero(rounded != 0)
    writer.write_csv(
        pd.DataFrame(
            {
                "customer_id": pd.Categorical.from_codes(cust, categories=w.ids),
                "month": pd.Categorical.from_codes(mon, categories=[m.label for m in months]),
                "true_cost": rounded[cust, mon],
            }
        ),
        "SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(month AS VARCHAR) AS month, "
        "CAST(true_cost AS DECIMAL(24, 6)) AS true_cost FROM frame",
        out_dir / "ground_truth.csv",
    )

"""Score the pipeline's per-customer monthly cost against a generator's ground truth."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from cpc.errors import UserError
from cpc.warehouse import Query

#: The error bound the end-to-end test enforces on generated data; see README "Accuracy".
WAPE_BOUND = 0.05


@dataclass
class TruthScore:
    """How far allocated cost is from what customers really drove.

    wape: sum over customer-months of |allocated - true|, divided by the sum of true cost.
    """

    customer_months: int
    true_total: Decimal
    allocated_total: Decimal
    absolute_error: Decimal
    wape: float
    worst: list[tuple[str, str, Decimal, Decimal]] = field(default_factory=list)


def read_truth(path: Path) -> dict[tuple[str, str], Decimal]:
    """ground_truth.csv (customer_id, month YYYY-MM, true_cost) as {(customer, month): cost}."""
    if not path.is_file():
        raise UserError(f"{path}: ground truth file not found")
    truth: dict[tuple[str, str], Decimal] = {}
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"customer_id", "month", "true_cost"} - set(reader.fieldnames or [])
        if missing:
            raise UserError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            try:
                key = (row["customer_id"], row["month"][:7])
                truth[key] = truth.get(key, Decimal(0)) + Decimal(row["true_cost"])
            except (ArithmeticError, TypeError) as exc:
                raise UserError(f"{path}:{line}: unreadable true_cost {row.get('true_cost')!r}") from exc
    return truth


def score(query: Query, truth_path: Path, worst: int = 5) -> TruthScore:
    """Compare customer_costs_monthly with the ground truth, customer-month by customer-month."""
    truth = read_truth(truth_path)
    allocated: dict[tuple[str, str], Decimal] = {}
    for row in query(
        "select customer_id, month, sum(total_cost) as total_cost "
        "from marts.customer_costs_monthly group by customer_id, month"
    ):
        key = (row["customer_id"], str(row["month"])[:7])
        allocated[key] = Decimal(str(row["total_cost"]))
    keys = set(truth) | set(allocated)
    errors = {key: allocated.get(key, Decimal(0)) - truth.get(key, Decimal(0)) for key in keys}
    true_total = sum(truth.values(), Decimal(0))
    absolute = sum((abs(error) for error in errors.values()), Decimal(0))
    ranked = sorted(keys, key=lambda key: abs(errors[key]), reverse=True)[:worst]
    return TruthScore(
        customer_months=len(keys),
        true_total=true_total,
        allocated_total=sum(allocated.values(), Decimal(0)),
        absolute_error=absolute,
        wape=float(absolute / true_total) if true_total else 0.0,
        worst=[(c, m, allocated.get((c, m), Decimal(0)), truth.get((c, m), Decimal(0))) for c, m in ranked],
    )

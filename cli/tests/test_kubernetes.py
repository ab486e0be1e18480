"""Kubernetes end to end: the hand-made two-node cluster of tests/fixtures/kubernetes (figures
computed by hand in its NOTICE.md and docs/kubernetes.md) lands, splits and allocates."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from conftest import FIXTURES, build_ok, query

KUBERNETES = FIXTURES / "kubernetes"


def test_node_cost_split_by_namespace_with_idle_shared_by_weight(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_ok(KUBERNETES, warehouse)
    by_customer = dict(query(
        warehouse,
        "select customer_id, sum(allocated_cost) from marts.customer_costs_daily group by 1",
    ))
    # share_idle: weighted — each node's idle follows its namespaces' workload cost.
    assert by_customer == {"acme": Decimal("66.40"), "globex": Decimal("4.80")}
    by_reason = dict(query(
        warehouse,
        "select reason, sum(unattributed_cost) from marts.unattributed_costs_daily group by 1",
    ))
    assert by_reason["unmapped_namespace"] == Decimal("10.80")
    assert "idle" not in by_reason
    # The split lines of node A (workloads and idle) add up to the node's charge.
    lines = query(
        warehouse,
        "select kubernetes_cost_kind, kubernetes_namespace, direct_customer_id, effective_cost"
        " from intermediate.int_kubernetes_node_charges_split where kubernetes_node_id = 'i-0aaa'"
        " order by 1, 2, 3",
    )
    assert sum(line[3] for line in lines) == Decimal("24.00")
    assert ("workload", "shop", "acme", Decimal("7.20")) in lines

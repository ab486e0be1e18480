"""Kubernetes: a shared cluster of a few nodes running tenant namespaces (k8s_usage/), its node
rows in the bill and each tenant's true part of them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpc.generate.billing import Catalog, source
from cpc.generate.company import CPU, EC2, EC2_PRICE, ENT, MID, REGION_ACCOUNT, REGIONS, SMB
from cpc.generate.periods import Month
from cpc.generate.util import hex_id, round_to
from cpc.generate.world import World
from cpc.rules.project import KUBERNETES_DEFAULTS

if TYPE_CHECKING:
    from cpc.generate.bill import MonthBill
    from cpc.generate.files import Writer

K8S_CLUSTER = "prod-use1"
K8S_REGION = 0  # us-east-1, billed on the USD account
K8S_ACCOUNT = REGIONS[K8S_REGION].account
#: The DaemonSet namespace (one pod on every node) that serves no customer: left unmapped.
K8S_UNMAPPED_NAMESPACE = "monitoring"
#: The cluster is sized for its tenants: (most tenants, nodes, instance type).
K8S_SIZES: tuple[tuple[int | None, int, str], ...] = (
    (24, 3, "m6i.xlarge"),
    (80, 4, "m6i.2xlarge"),
    (None, 4, "m6i.4xlarge"),
)
#: vCPUs and GiB of memory of each node type.
K8S_NODE_SHAPE: dict[str, tuple[int, int]] = {
    "m6i.xlarge": (4, 16),
    "m6i.2xlarge": (8, 32),
    "m6i.4xlarge": (16, 64),
}
#: Tenants: about this share of the customers, non-free customers of the USD account's regions.
K8S_TENANT_SHARE = 0.10
K8S_MAX_TENANTS = 300
#: Pods (replicas) per tenant namespace by segment.
K8S_PODS = {SMB: 1, MID: 2, ENT: 3}
#: What the tenants request of the cluster when all are active; no pod asks for more than
#: K8S_POD_MAX of a node.
K8S_CPU_REQUESTED = 0.70
K8S_MEMORY_REQUESTED = 0.65
K8S_POD_MAX = 0.35
#: The monitoring DaemonSet pod on each node: cores and bytes requested.
K8S_MONITORING_CPU = 0.2
K8S_MONITORING_MEMORY = 512 * 2**20
#: The split's settings in the demo allocation.yml: the project's defaults (unit prices per
#: core-hour and per GiB-hour, of which only the ratio matters, and idle kept unattributed).
K8S_CPU_PRICE = KUBERNETES_DEFAULTS["cpu_hourly_price"]
K8S_RAM_PRICE = KUBERNETES_DEFAULTS["ram_gib_hourly_price"]
K8S_SHARE_IDLE = KUBERNETES_DEFAULTS["share_idle"]
GIB = 2**30


@dataclass
class Cluster:
    """The shared cluster: its nodes, its pods and their daily requests and usage.

    Pods run in the namespace of a tenant (a customer) or in the unmapped monitoring namespace
    (tenant -1). Usage is one interval per pod and UTC day; a tenant's pods run on the days its
    customer is active, the monitoring pods every day.
    """

    node_type: str
    node_cores: int
    node_memory: int  # bytes
    node_ids: list[str]  # instance ids, as the bill's ResourceId
    provider_ids: list[str]  # aws:///<zone>/<instance id>, as k8s_usage names the node
    tenants: np.ndarray  # customer index of each tenant
    pod_tenant: np.ndarray  # tenant index per pod, -1: monitoring
    pod_node: np.ndarray
    pod_names: list[str]
    namespaces: list[str]  # per tenant, then the monitoring namespace last
    cpu_request: np.ndarray  # (pods,) cores
    memory_request: np.ndarray  # (pods,) bytes
    running: np.ndarray  # (days, pods) bool
    cpu_usage: np.ndarray  # (days, pods) cores, average over the day
    memory_usage: np.ndarray  # (days, pods) bytes
    tenant_cost: np.ndarray = field(default_factory=lambda: np.empty(0))  # (days, tenants) USD
    node_src: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))

    @property
    def node_day_cost(self) -> float:
        """A node's cost for one day (24 on-demand hours, USD)."""
        return float(round_to(24 * EC2_PRICE[self.node_type]))



@dataclass
class _Pods:
    """The cluster's pods: tenant index (-1: monitoring), node, and requests."""

    tenant: np.ndarray
    node: np.ndarray
    cpu_request: np.ndarray  # cores
    memory_request: np.ndarray  # bytes


def _tenants(rng: np.random.Generator, w: World) -> np.ndarray:
    """The tenants' customer indices: a sample of the USD account's non-free customers."""
    candidates = np.flatnonzero((w.segment >= SMB) & (REGION_ACCOUNT[w.region] == K8S_ACCOUNT))
    wanted = min(K8S_MAX_TENANTS, max(1, round(K8S_TENANT_SHARE * w.n)))
    count = min(wanted, len(candidates))
    return np.sort(rng.choice(candidates, size=count, replace=False)).astype(np.int64)


def _tenant_requests(
    rng: np.random.Generator, w: World, tenants: np.ndarray, nodes: int, cores: int, memory: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tenant pods as (tenant index, cores, bytes requested): replicas share their customer's
    size; requests are scaled to fill the cluster."""
    count = len(tenants)
    replicas = np.array([K8S_PODS[int(w.segment[c])] for c in tenants], dtype=np.int64)
    pod_tenant = np.repeat(np.arange(count), replicas)
    weight = (w.size[tenants] / replicas)[pod_tenant] if count else np.empty(0)
    cpu_room = nodes * (cores - K8S_MONITORING_CPU) * K8S_CPU_REQUESTED
    memory_room = nodes * (memory - K8S_MONITORING_MEMORY) * K8S_MEMORY_REQUESTED
    cpu = weight * cpu_room / weight.sum() if count else weight
    cpu_request = np.maximum(np.round(np.minimum(cpu, K8S_POD_MAX * cores), 2), 0.01)
    memory_weight = cpu_request * rng.lognormal(0.0, 0.3, len(cpu_request))
    wanted = memory_weight * memory_room / memory_weight.sum() if count else memory_weight
    wanted = np.minimum(wanted, K8S_POD_MAX * memory)
    memory_request = np.maximum(np.round(wanted / 2**20), 64).astype(np.int64) * 2**20
    return pod_tenant, cpu_request, memory_request


def _placed(
    pod_tenant: np.ndarray,
    cpu_request: np.ndarray,
    memory_request: np.ndarray,
    nodes: int,
    cores: int,
    memory: int,
) -> np.ndarray:
    """Each pod's node: largest first, on the least loaded node that runs no replica of the same
    tenant."""
    pod_node = np.empty(len(pod_tenant), dtype=np.int64)
    load = np.zeros(nodes)
    placed: list[set[int]] = [set() for _ in range(nodes)]
    for p in np.argsort(-cpu_request, kind="stable"):
        t = int(pod_tenant[p])
        free = [j for j in range(nodes) if t not in placed[j]] or list(range(nodes))
        j = min(free, key=lambda j: (load[j], j))
        pod_node[p] = j
        placed[j].add(t)
        load[j] += cpu_request[p] / cores + memory_request[p] / memory
    return pod_node


def _pods(
    rng: np.random.Generator, w: World, tenants: np.ndarray, nodes: int, cores: int, memory: int
) -> _Pods:
    """The tenants' pods placed on the nodes and a monitoring DaemonSet pod on each node, in node
    order, then namespace (tenant order, monitoring last), for tidy files."""
    pod_tenant, cpu_request, memory_request = _tenant_requests(rng, w, tenants, nodes, cores, memory)
    pod_node = _placed(pod_tenant, cpu_request, memory_request, nodes, cores, memory)
    pod_tenant = np.concatenate([pod_tenant, np.full(nodes, -1)])
    pod_node = np.concatenate([pod_node, np.arange(nodes)])
    cpu_request = np.concatenate([cpu_request, np.full(nodes, K8S_MONITORING_CPU)])
    memory_request = np.concatenate(
        [memory_request, np.full(nodes, K8S_MONITORING_MEMORY, dtype=np.int64)]
    )
    order = np.lexsort((np.where(pod_tenant < 0, len(tenants), pod_tenant), pod_node))
    return _Pods(
        tenant=pod_tenant[order],
        node=pod_node[order],
        cpu_request=cpu_request[order],
        memory_request=memory_request[order],
    )


def _daily_usage(
    rng: np.random.Generator, w: World, tenants: np.ndarray, pods: _Pods
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(days, pods) whether each pod runs, its cores and its bytes used: a tenant's pods follow
    its customer's daily compute activity; the monitoring pods run every day."""
    count = len(pods.tenant)
    active = w.active()
    cpu_day = w.consumption[:, tenants, CPU]
    mean = cpu_day.sum(axis=0) / np.maximum(active[:, tenants].sum(axis=0), 1)
    activity = np.divide(cpu_day, mean, out=np.zeros_like(cpu_day), where=mean > 0)
    tenant_pod = pods.tenant >= 0
    running = np.ones((w.days, count), dtype=bool)
    running[:, tenant_pod] = active[:, tenants][:, pods.tenant[tenant_pod]]
    pod_activity = np.ones((w.days, count))
    pod_activity[:, tenant_pod] = activity[:, pods.tenant[tenant_pod]]
    # Each pod has its own typical utilization of its request; a few run hot, above it.
    utilization = 0.6 * rng.lognormal(0.0, 0.3, count)
    cpu_usage = np.round(
        pods.cpu_request * utilization * pod_activity * rng.lognormal(0.0, 0.2, (w.days, count)),
        3,
    )
    memory_usage = np.round(
        pods.memory_request
        * (0.55 + 0.2 * pod_activity)
        * rng.lognormal(0.0, 0.1, (w.days, count))
    ).astype(np.int64)
    cpu_usage = np.where(running, cpu_usage, 0.0)
    memory_usage = np.where(running, memory_usage, 0)
    return running, cpu_usage, memory_usage


def build_cluster(w: World) -> Cluster:
    """The shared cluster, sized for its tenants, with its pods' daily usage and truth."""
    rng = np.random.default_rng([w.seed, 9])
    seed = w.seed
    tenants = _tenants(rng, w)
    _, nodes, node_type = next(s for s in K8S_SIZES if s[0] is None or len(tenants) <= s[0])
    cores, gib = K8S_NODE_SHAPE[node_type]
    node_memory = gib * GIB
    pods = _pods(rng, w, tenants, nodes, cores, node_memory)
    running, cpu_usage, memory_usage = _daily_usage(rng, w, tenants, pods)

    zones = "abc"
    node_ids = [f"i-0{hex_id(seed, 'k8s-node', j, n=16)}" for j in range(nodes)]
    provider_ids = [
        f"aws:///{REGIONS[K8S_REGION].id}{zones[j % len(zones)]}/{node_ids[j]}"
        for j in range(nodes)
    ]
    pod_names = [
        f"node-exporter-{hex_id(seed, 'k8s-ds', int(pods.node[p]), n=5)}"
        if pods.tenant[p] < 0
        else f"web-{hex_id(seed, 'k8s-rs', int(pods.tenant[p]), n=9)}-"
        f"{hex_id(seed, 'k8s-pod', p, n=5)}"
        for p in range(len(pods.tenant))
    ]
    cluster = Cluster(
        node_type=node_type,
        node_cores=cores,
        node_memory=node_memory,
        node_ids=node_ids,
        provider_ids=provider_ids,
        tenants=tenants,
        pod_tenant=pods.tenant,
        pod_node=pods.node,
        pod_names=pod_names,
        namespaces=[f"tenant-{w.ids[c]}" for c in tenants] + [K8S_UNMAPPED_NAMESPACE],
        cpu_request=pods.cpu_request,
        memory_request=pods.memory_request,
        running=running,
        cpu_usage=cpu_usage,
        memory_usage=memory_usage,
    )
    cluster.tenant_cost = cluster_truth(cluster)
    return cluster


def cluster_truth(k: Cluster) -> np.ndarray:
    """(days, tenants) each tenant's part of the node-days' cost (USD), by the documented split
    (docs/kubernetes.md) of the values k8s_usage writes: a node-day's cost splits into CPU and RAM
    by cpu_ratio = CPU capacity x CPU price / (that + RAM capacity x RAM price); a pod is charged
    max(request, usage) of each, as its share of the node's capacity (or of what its pods charged,
    when that is more); the rest is idle and, like the unmapped namespace, nobody's."""
    nodes = len(k.node_ids)
    onehot = np.zeros((len(k.pod_node), nodes))
    onehot[np.arange(len(k.pod_node)), k.pod_node] = 1.0
    cpu = np.where(k.running, np.maximum(k.cpu_request[None, :], k.cpu_usage), 0.0)
    gib = np.where(k.running, np.maximum(k.memory_request[None, :], k.memory_usage), 0) / GIB
    cpu_basis = np.maximum(k.node_cores, cpu @ onehot)  # (days, nodes), per hour
    gib_basis = np.maximum(k.node_memory / GIB, gib @ onehot)
    ratio = cpu_basis * K8S_CPU_PRICE / (cpu_basis * K8S_CPU_PRICE + gib_basis * K8S_RAM_PRICE)
    node = k.pod_node
    share = (
        ratio[:, node] * cpu / cpu_basis[:, node] + (1 - ratio[:, node]) * gib / gib_basis[:, node]
    )
    cost = k.node_day_cost * share
    out = np.zeros((k.running.shape[0], len(k.tenants)))
    tenant_pod = np.flatnonzero(k.pod_tenant >= 0)
    for p in tenant_pod:
        out[:, k.pod_tenant[p]] += cost[:, p]
    return out


def usage_frame(k: Cluster, month: Month) -> pd.DataFrame:
    """The month's k8s_usage rows: one per running pod and day."""
    day, pod = np.nonzero(k.running[month.d0 : month.d1])  # ordered by day, then pod
    day = day + month.d0
    namespace = np.where(k.pod_tenant[pod] < 0, len(k.namespaces) - 1, k.pod_tenant[pod])
    return pd.DataFrame(
        {
            "day": day.astype(np.int32),
            "node_id": pd.Categorical.from_codes(k.pod_node[pod], categories=k.provider_ids),
            "namespace": pd.Categorical.from_codes(namespace, categories=k.namespaces),
            "pod": pd.Categorical.from_codes(pod, categories=k.pod_names),
            "cpu_request_cores": k.cpu_request[pod],
            "cpu_usage_cores": k.cpu_usage[day, pod],
            "memory_request_bytes": k.memory_request[pod],
            "memory_usage_bytes": k.memory_usage[day, pod],
        }
    )


def usage_select(k: Cluster, start: date) -> str:
    """The SELECT over a usage frame that writes the k8s_usage file's columns."""
    stamp = "'%Y-%m-%dT%H:%M:%SZ'"
    return (
        f"SELECT strftime(TIMESTAMP '{start:%Y-%m-%d} 00:00:00' + to_days(day), {stamp}) "
        "AS interval_start, "
        f"strftime(TIMESTAMP '{start:%Y-%m-%d} 00:00:00' + to_days(day + 1), {stamp}) "
        f"AS interval_end, '{K8S_CLUSTER}' AS cluster_id, CAST(node_id AS VARCHAR) AS node_id, "
        "CAST(namespace AS VARCHAR) AS namespace, CAST(pod AS VARCHAR) AS pod, "
        "CAST(cpu_request_cores AS DECIMAL(12, 3)) AS cpu_request_cores, "
        "CAST(cpu_usage_cores AS DECIMAL(12, 3)) AS cpu_usage_cores, "
        "CAST(memory_request_bytes AS BIGINT) AS memory_request_bytes, "
        "CAST(memory_usage_bytes AS BIGINT) AS memory_usage_bytes, "
        f"{k.node_cores} AS node_cpu_cores, CAST({k.node_memory} AS BIGINT) AS node_memory_bytes "
        "FROM frame"
    )


def write_namespaces(w: World, k: Cluster, out_dir: Path, writer: Writer) -> None:
    """k8s_namespaces.csv: every tenant namespace to its customer; monitoring is left out."""
    frame = pd.DataFrame(
        {
            "cluster_id": [K8S_CLUSTER] * len(k.tenants),
            "namespace": k.namespaces[: len(k.tenants)],
            "customer_id": [w.ids[c] for c in k.tenants],
        },
        dtype="string",
    )
    writer.write_csv(
        frame, "SELECT * FROM frame ORDER BY namespace", out_dir / "k8s_namespaces.csv"
    )


# --------------------------------------------------------------------------------------------
# Other costs: what the company spends outside the cloud bill (other_costs.csv)
# --------------------------------------------------------------------------------------------



def add_node_sources(cluster: Cluster, sources: Catalog) -> None:
    """The nodes as resources of the bill: on-demand instances of the USD account, no customer
    tag."""
    reg = REGIONS[K8S_REGION]
    cluster.node_src = np.array(
        [
            source(
                sources,
                ("k8s-node", j),
                reg.account,
                K8S_REGION,
                EC2,
                node_id,
                f"eks-{K8S_CLUSTER}-node-{j + 1}",
                "Instance",
                json.dumps(
                    {"eks:cluster-name": K8S_CLUSTER, "team": "platform"}, separators=(",", ":")
                ),
            )
            for j, node_id in enumerate(cluster.node_ids)
        ],
        dtype=np.int32,
    )


def add_node_rows(bill: MonthBill) -> None:
    """One row per node and day (k8s_usage splits them)."""
    cluster = bill.cluster
    nodes = len(cluster.node_ids)
    node_day = np.repeat(np.arange(bill.d0, bill.d1), nodes)
    node = np.tile(np.arange(nodes), bill.nd)
    node_cost = cluster.node_day_cost
    bill.rows.add(
        h0=node_day * 24,
        h1=node_day * 24 + 24,
        src=cluster.node_src[node],
        line=bill.cat.lines.get(("ec2", K8S_REGION, cluster.node_type)),
        consumed=24.0,
        pricing=24.0,
        billed=node_cost,
        effective=node_cost,
        list=node_cost,
        contracted=node_cost,
    )
    bill.add_usage(node_day - bill.d0, K8S_ACCOUNT, np.full(len(node_day), node_cost))


def tenant_costs(bill: MonthBill) -> np.ndarray:
    """(days, tenants) the tenants' part of the month's node-days in USD; the rest (idle and the
    unmapped namespace) is added to the bill's unattributed cost."""
    cluster = bill.cluster
    conv = bill.conv[:, K8S_ACCOUNT]
    k8s = cluster.tenant_cost[bill.d0 : bill.d1] * conv[:, None]
    nodes = len(cluster.node_ids)
    bill.unattributed += float((cluster.node_day_cost * nodes * conv).sum() - k8s.sum())
    return k8s

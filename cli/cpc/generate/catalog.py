"""Catalogs: the bill's resources (where a cost comes from) and charge kinds (how it is charged)."""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from cpc.generate.billing import LINE_COLUMNS, SOURCE_COLUMNS, Catalog, line, source
from cpc.generate.company import (
    ACCOUNTS,
    CLOUDFRONT,
    CLOUDFRONT_PRICE,
    CLOUDTRAIL,
    CLOUDTRAIL_PRICE,
    CLOUDWATCH,
    CLOUDWATCH_PRICE,
    CUSTOMER_TAG_KEY_P,
    CUSTOMER_TAG_KEYS,
    EC2,
    EC2_PRICE,
    EC2_SHARED_TYPE,
    ENT,
    LAMBDA,
    LAMBDA_PRICE,
    MID,
    RDS,
    RDS_PRICE,
    RDS_SHARED_TYPE,
    REGIONS,
    S3,
    S3_PRICE,
    SAVINGS_PLANS,
    SP_RATE,
    TAX,
    TAX_RATE,
)
from cpc.generate.kubernetes import Cluster, add_node_sources
from cpc.generate.util import hex_id, local_price, price_text, tags_json
from cpc.generate.world import World

#: The dedicated databases' instance type.
DEDICATED_RDS_TYPE = "db.r6g.large"
#: The dedicated (and leftover) instances' type.
DEDICATED_EC2_TYPE = "m6i.xlarge"


@dataclass
class Catalogs:
    """The bill's resources (`sources`) and charge kinds (`lines`), and lookups into them."""

    sources: Catalog
    lines: Catalog
    ec2_shared: list[np.ndarray]  # per region: src index of instance i
    rds_shared: list[np.ndarray]
    commitment: dict[str, str]
    commitment_src: int
    variant: np.ndarray  # line index -> its "Usage-based" twin (or itself)
    src_account: np.ndarray
    src_region: np.ndarray


def _commitment(seed: int) -> tuple[str, dict[str, str]]:
    """The savings plan's ARN and its commitment columns."""
    payer = ACCOUNTS[0]
    sp_id = (
        f"arn:aws:savingsplans::{payer.billing_id}:savingsplan/{hex_id(seed, 'sp', n=8)}-"
        f"{hex_id(seed, 'sp2', n=4)}-{hex_id(seed, 'sp3', n=4)}-{hex_id(seed, 'sp4', n=4)}-"
        f"{hex_id(seed, 'sp5', n=12)}"
    )
    commitment = {
        "CommitmentDiscountId": sp_id,
        "CommitmentDiscountName": "compute-sp-shared-cluster",
        "CommitmentDiscountCategory": "Spend",
        "CommitmentDiscountType": "Compute Savings Plan",
    }
    return sp_id, commitment


def _shared_sources(
    w: World, sources: Catalog, rng: np.random.Generator, r: int
) -> tuple[np.ndarray, np.ndarray]:
    """The shared resources of region `r`; returns the source indices of its EC2 cluster's
    instances and of its shared databases."""
    reg = REGIONS[r]
    acc, seed = reg.account, w.seed
    sub = ACCOUNTS[acc].sub_id
    pool = int(w.ec2_running[:, r].max()) if w.region_active[r] else 0
    tagged = rng.random(pool) < 0.5
    cluster_tags = tags_json(team="platform", cluster=f"shared-{reg.id}")
    ec2 = [
        source(
            sources,
            ("ec2", r, i),
            acc,
            r,
            EC2,
            f"i-0{hex_id(seed, 'ec2', r, i, n=16)}",
            f"shared-app-{reg.short}-{i + 1:03d}",
            "Instance",
            cluster_tags if tagged[i] else None,
        )
        for i in range(pool)
    ]
    rds = [
        source(
            sources,
            ("rds", r, i),
            acc,
            r,
            RDS,
            f"arn:aws:rds:{reg.id}:{sub}:db:shared-pg-{reg.short}-{i + 1:02d}",
            f"shared-pg-{reg.short}-{i + 1:02d}",
            "DB Instance",
            tags_json(team="data"),
        )
        for i in range(int(w.rds_shared[r]))
    ]
    if w.region_active[r]:
        bucket = f"acme-shared-data-{reg.id}"
        source(sources, ("s3", r), acc, r, S3, bucket, bucket, "Bucket")
        distribution = f"E{hex_id(seed, 'cf', r, n=13).upper()}"
        source(
            sources,
            ("cloudfront", r),
            acc,
            r,
            CLOUDFRONT,
            f"arn:aws:cloudfront::{sub}:distribution/{distribution}",
            f"app-{reg.short}.acme.example",
            "Distribution",
        )
        source(
            sources,
            ("lambda", r),
            acc,
            r,
            LAMBDA,
            f"arn:aws:lambda:{reg.id}:{sub}:function:event-workers",
            "event-workers",
            "Function",
            tags_json(team="platform"),
        )
        source(
            sources,
            ("cloudwatch", r),
            acc,
            r,
            CLOUDWATCH,
            f"arn:aws:logs:{reg.id}:{sub}:log-group:/acme/app",
            "/acme/app",
            "Log Group",
        )
    return np.array(ec2, dtype=np.int32), np.array(rds, dtype=np.int32)


def _usage_line(
    lines: Catalog,
    key: Hashable,
    *,
    usd_price: float,
    currency: str,
    description: str,
    unit: str,
    sku: tuple[object, ...],
    frequency: str = "Usage-Based",
    consumed_unit: str | None = None,
) -> int:
    """A standard usage charge kind, priced in the account's currency."""
    return line(
        lines,
        key,
        category="Usage",
        frequency=frequency,
        description=description,
        consumed_unit=consumed_unit or unit,
        pricing_unit=unit,
        sku=sku,
        list_price=local_price(usd_price, currency),
        contracted_price=local_price(usd_price, currency),
    )


def _ec2_line(lines: Catalog, r: int, itype: str) -> int:
    reg, price = REGIONS[r], EC2_PRICE[itype]
    cur = ACCOUNTS[reg.account].currency
    return _usage_line(
        lines,
        ("ec2", r, itype),
        usd_price=price,
        currency=cur,
        description=f"{price_text(price, cur)} per On Demand Linux {itype} Instance Hour",
        unit="Hours",
        sku=("ec2", reg.id, itype),
    )


def _rds_line(lines: Catalog, r: int, itype: str) -> int:
    reg, price = REGIONS[r], RDS_PRICE[itype]
    cur = ACCOUNTS[reg.account].currency
    return _usage_line(
        lines,
        ("rds", r, itype),
        usd_price=price,
        currency=cur,
        description=f"{price_text(price, cur)} per RDS {itype} Single-AZ instance hour "
        "running PostgreSQL",
        unit="Hours",
        sku=("rds", reg.id, itype),
    )


def _s3_line(lines: Catalog, r: int) -> int:
    reg = REGIONS[r]
    cur = ACCOUNTS[reg.account].currency
    return _usage_line(
        lines,
        ("s3", r),
        usd_price=S3_PRICE,
        currency=cur,
        description=f"{price_text(S3_PRICE, cur)} per GB - first 50 TB / month of storage used",
        unit="GB-Mo",
        sku=("s3", reg.id),
    )


def _shared_lines(lines: Catalog, r: int, commitment: dict[str, str]) -> None:
    """The charge kinds of region `r`'s shared services (and, in us-east-1, the savings plan's
    covered and unused hours)."""
    reg = REGIONS[r]
    cur = ACCOUNTS[reg.account].currency
    _ec2_line(lines, r, EC2_SHARED_TYPE)
    _rds_line(lines, r, RDS_SHARED_TYPE)
    _s3_line(lines, r)
    _usage_line(
        lines,
        ("cloudfront", r),
        usd_price=CLOUDFRONT_PRICE,
        currency=cur,
        description=f"{price_text(CLOUDFRONT_PRICE, cur)} per GB - first 10 TB / month data "
        "transfer out",
        unit="GB",
        sku=("cloudfront", reg.id),
    )
    _usage_line(
        lines,
        ("lambda", r),
        usd_price=LAMBDA_PRICE,
        currency=cur,
        description=f"AWS Lambda - Total Compute - {price_text(LAMBDA_PRICE, cur, '.10f')} "
        "per GB-second",
        unit="GB-Seconds",
        sku=("lambda", reg.id),
    )
    _usage_line(
        lines,
        ("cloudwatch", r),
        usd_price=CLOUDWATCH_PRICE,
        currency=cur,
        description=f"{price_text(CLOUDWATCH_PRICE, cur, '.2f')} per GB - custom log data "
        "ingested",
        unit="GB",
        sku=("cloudwatch", reg.id),
        frequency="Recurring",
    )
    if r == 0:
        ec2_price = EC2_PRICE[EC2_SHARED_TYPE]
        line(
            lines,
            "ec2-committed",
            category="Usage",
            frequency="Usage-Based",
            description=f"Linux {EC2_SHARED_TYPE} Instance Hour covered by Compute Savings "
            f"Plan at ${SP_RATE}/hour",
            consumed_unit="Hours",
            pricing_unit="Hours",
            pricing="Committed",
            sku=("ec2", reg.id, EC2_SHARED_TYPE),
            list_price=ec2_price,
            contracted_price=ec2_price,
            commitment={**commitment, "CommitmentDiscountStatus": "Used"},
        )
        line(
            lines,
            "sp-unused",
            category="Usage",
            frequency="Usage-Based",
            description="Unused Compute Savings Plan commitment",
            pricing="Committed",
            sku=("sp", "unused"),
            commitment={**commitment, "CommitmentDiscountStatus": "Unused"},
        )


def _savings_plan(
    w: World, sources: Catalog, lines: Catalog, sp_id: str, commitment: dict[str, str]
) -> int:
    """The savings plan's resources and its purchase; returns the purchase's source index."""
    commitment_src = source(
        sources, "sp", 0, None, SAVINGS_PLANS, sp_id, "compute-sp-shared-cluster", "Savings Plan"
    )
    source(sources, "sp-unused", 0, 0, EC2, sp_id, "compute-sp-shared-cluster", "Savings Plan")
    hourly_fee = round(w.commit_instances * SP_RATE, 10)
    line(
        lines,
        "sp-purchase",
        category="Purchase",
        frequency="Recurring",
        description=f"1 year No Upfront Compute Savings Plan, ${hourly_fee}/hour commitment",
        pricing_unit="Hours",
        sku=("sp", "purchase"),
        list_price=hourly_fee,
        contracted_price=hourly_fee,
        commitment=commitment,
    )
    return commitment_src


def _account_charges(w: World, sources: Catalog, lines: Catalog) -> None:
    """Each active account's audit trail, tax and credits."""
    for a, acc in enumerate(ACCOUNTS):
        if not w.account_active[a]:
            continue
        reg = REGIONS[acc.trail_region]
        source(
            sources,
            ("cloudtrail", a),
            a,
            acc.trail_region,
            CLOUDTRAIL,
            f"arn:aws:cloudtrail:{reg.id}:{acc.sub_id}:trail/organization-trail",
            "organization-trail",
            "Trail",
        )
        source(sources, ("tax", a), a, None, TAX)
        source(sources, ("credit", a), a, None, "")
        _usage_line(
            lines,
            ("cloudtrail", a),
            usd_price=CLOUDTRAIL_PRICE,
            currency=acc.currency,
            description=f"{price_text(CLOUDTRAIL_PRICE, acc.currency, '.2f')} per 100,000 data "
            "events recorded",
            unit="100K Events",
            consumed_unit="Events",
            sku=("cloudtrail",),
        )
    line(
        lines,
        "tax",
        category="Tax",
        frequency="Usage-Based",
        description=f"Sales tax ({TAX_RATE:.0%})",
        pricing=None,
    )
    line(
        lines,
        "credit",
        category="Credit",
        frequency="One-Time",
        description="AWS Activate promotional credit",
        pricing=None,
    )


def _customer_tags(rng: np.random.Generator, owner_id: str, team: str) -> str:
    """Tags naming the owner, under one of the spellings of the customer tag key."""
    key = CUSTOMER_TAG_KEYS[int(rng.choice(len(CUSTOMER_TAG_KEYS), p=CUSTOMER_TAG_KEY_P))]
    return json.dumps({key: owner_id, "env": "production", "team": team}, separators=(",", ":"))


def _dedicated_sources(w: World, sources: Catalog, rng: np.random.Generator) -> None:
    """The dedicated, tagged resources: enterprise instances (two for the larger half) and
    databases (for those with their own), and a bucket for every mid-market and enterprise
    customer. Recorded in the world's dedicated_* lists."""
    seed = w.seed
    ent = np.flatnonzero(w.segment == ENT)
    big = w.size[ent] >= (np.median(w.size[ent]) if len(ent) else 0)
    for c, is_big in zip(ent, big, strict=True):
        r = int(w.region[c])
        for k in range(2 if is_big else 1):
            src = source(
                sources,
                ("ded-ec2", c, k),
                REGIONS[r].account,
                r,
                EC2,
                f"i-0{hex_id(seed, 'ded', c, k, n=16)}",
                f"dedicated-worker-{hex_id(seed, c, k, n=6)}",
                "Instance",
                _customer_tags(rng, w.ids[c], "dedicated"),
            )
            w.dedicated_ec2.append((int(c), DEDICATED_EC2_TYPE, src))
    own_db = set(w.own_db.tolist())
    for c in ent:
        if c not in own_db:
            continue
        r = int(w.region[c])
        sub = ACCOUNTS[REGIONS[r].account].sub_id
        name = f"tenant-pg-{hex_id(seed, 'db', c, n=6)}"
        src = source(
            sources,
            ("ded-rds", c),
            REGIONS[r].account,
            r,
            RDS,
            f"arn:aws:rds:{REGIONS[r].id}:{sub}:db:{name}",
            name,
            "DB Instance",
            _customer_tags(rng, w.ids[c], "dedicated"),
        )
        w.dedicated_rds.append((int(c), DEDICATED_RDS_TYPE, src))
    for c in np.flatnonzero(w.segment >= MID):
        r = int(w.region[c])
        bucket = f"acme-tenant-{hex_id(seed, 'bucket', c, n=10)}"
        w.dedicated_s3[int(c)] = source(
            sources,
            ("ded-s3", c),
            REGIONS[r].account,
            r,
            S3,
            bucket,
            bucket,
            "Bucket",
            _customer_tags(rng, w.ids[c], "storage"),
        )


def _orphan_sources(w: World, sources: Catalog, rng: np.random.Generator) -> None:
    """Leftovers of customers that no longer exist: tagged, but to nobody we know. Recorded in
    the world's orphan_* lists."""
    seed = w.seed
    for k in range(1 + w.n // 4000):
        ghost = f"cust-deleted-{k + 1:02d}"
        w.orphan_ec2.append(
            source(
                sources,
                ("orphan-ec2", k),
                0,
                0,
                EC2,
                f"i-0{hex_id(seed, 'orphan', k, n=16)}",
                f"legacy-worker-{k + 1}",
                "Instance",
                _customer_tags(rng, ghost, "dedicated"),
            )
        )
        bucket = f"acme-tenant-{hex_id(seed, 'orphan-bucket', k, n=10)}"
        src = source(
            sources,
            ("orphan-s3", k),
            0,
            0,
            S3,
            bucket,
            bucket,
            "Bucket",
            _customer_tags(rng, ghost, "storage"),
        )
        w.orphan_s3.append((src, float(200 + 40 * np.sqrt(w.n))))


def _dedicated_lines(lines: Catalog) -> None:
    """The charge kinds of dedicated resources in every region (the shared ones exist already
    in active regions)."""
    for itype in EC2_PRICE:
        for r in range(len(REGIONS)):
            _ec2_line(lines, r, itype)
    for r in range(len(REGIONS)):
        _rds_line(lines, r, DEDICATED_RDS_TYPE)
        _s3_line(lines, r)


def _variants(lines: Catalog) -> np.ndarray:
    """Line index -> its "Usage-based" twin (itself when it has none)."""
    variant = np.arange(len(lines.rows), dtype=np.int32)
    keys = lines.keys()
    for i, row in enumerate(lines.rows):
        if row["ChargeFrequency"] == "Usage-Based":
            variant[i] = lines.get(("variant", keys[i]))
    return variant


def build_catalogs(w: World, cluster: Cluster) -> Catalogs:
    """Every resource and charge kind of the bill (order matters: it fixes their indices)."""
    sources = Catalog(SOURCE_COLUMNS)
    lines = Catalog(LINE_COLUMNS, numbers=("ListUnitPrice", "ContractedUnitPrice"))
    rng = w.tag_rng
    sp_id, commitment = _commitment(w.seed)
    ec2_shared: list[np.ndarray] = []
    rds_shared: list[np.ndarray] = []
    for r in range(len(REGIONS)):
        ec2, rds = _shared_sources(w, sources, rng, r)
        ec2_shared.append(ec2)
        rds_shared.append(rds)
        if w.region_active[r]:
            _shared_lines(lines, r, commitment)
    commitment_src = _savings_plan(w, sources, lines, sp_id, commitment)
    _account_charges(w, sources, lines)
    _dedicated_sources(w, sources, rng)
    _orphan_sources(w, sources, rng)
    _dedicated_lines(lines)
    add_node_sources(cluster, sources)
    meta = [row["meta"] for row in sources.rows]
    return Catalogs(
        sources=sources,
        lines=lines,
        ec2_shared=ec2_shared,
        rds_shared=rds_shared,
        commitment=commitment,
        commitment_src=commitment_src,
        variant=_variants(lines),
        src_account=np.array([m[0] for m in meta], dtype=np.int64),
        src_region=np.array([-1 if m[1] is None else m[1] for m in meta], dtype=np.int64),
    )

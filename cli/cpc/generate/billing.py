"""FOCUS billing rows: the columns, the catalogs of resources and charge kinds that rows point
into, the rows of a month, and how they become a billing file."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cpc.generate.company import ACCOUNTS, REGIONS, SERVICE_CATEGORY
from cpc.generate.periods import Month
from cpc.generate.util import round_to, sku_id

if TYPE_CHECKING:
    from cpc.generate.catalog import Catalogs

BILLING_COLUMNS: tuple[str, ...] = (
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "ContractedCost",
    "ContractedUnitPrice",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountCategory",
    "CommitmentDiscountType",
    "CommitmentDiscountStatus",
    "Tags",
)
MONEY_COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "ContractedCost",
    "ContractedUnitPrice",
    "ConsumedQuantity",
    "PricingQuantity",
)
SOURCE_COLUMNS = (
    "BillingAccountId",
    "BillingCurrency",
    "BillingAccountName",
    "SubAccountId",
    "SubAccountName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "Tags",
)
LINE_COLUMNS = (
    "ChargeCategory",
    "ChargeDescription",
    "ChargeFrequency",
    "ConsumedUnit",
    "PricingCategory",
    "PricingUnit",
    "SkuId",
    "SkuPriceId",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountCategory",
    "CommitmentDiscountType",
    "CommitmentDiscountStatus",
)
#: The columns every row of the demo bill has the same value in.
CONSTANT_COLUMNS = {
    "ProviderName": "AWS",
    "PublisherName": "AWS",
    "InvoiceIssuerName": "AWS",
}


class Catalog:
    """Distinct attribute rows (resources or charge kinds) referenced by index from cost rows.

    Per-row string columns are then built as pandas categoricals by integer lookup, which keeps
    millions of rows cheap to build and lets duckdb write the strings.
    """

    def __init__(self, columns: Sequence[str], numbers: Sequence[str] = ()) -> None:
        self.columns = tuple(columns)
        self.numbers = tuple(numbers)
        self.rows: list[dict[str, Any]] = []
        self._index: dict[Hashable, int] = {}
        self._cache: dict[str, tuple[np.ndarray, list[str]]] = {}

    def add(self, key: Hashable, **attrs: Any) -> int:
        if key in self._index:
            return self._index[key]
        unknown = set(attrs) - set(self.columns) - set(self.numbers) - {"meta"}
        if unknown:
            raise ValueError(f"unknown catalog attributes {sorted(unknown)}")
        self._index[key] = len(self.rows)
        self.rows.append(attrs)
        self._cache.clear()
        return len(self.rows) - 1

    def get(self, key: Hashable) -> int:
        return self._index[key]

    def keys(self) -> list[Hashable]:
        """The keys in index order."""
        return list(self._index)

    def attr(self, column: str) -> list[Any]:
        return [row.get(column) for row in self.rows]

    def codes(self, column: str) -> tuple[np.ndarray, list[str]]:
        if column not in self._cache:
            categories: dict[str, int] = {}
            codes = np.empty(len(self.rows), dtype=np.int32)
            for i, row in enumerate(self.rows):
                value = row.get(column)
                codes[i] = -1 if value is None else categories.setdefault(value, len(categories))
            self._cache[column] = (codes, list(categories))
        return self._cache[column]

    def categorical(self, column: str, idx: np.ndarray) -> pd.Categorical | None:
        codes, categories = self.codes(column)
        if not categories:
            return None
        return pd.Categorical.from_codes(codes[idx], categories=categories)

    def number(self, column: str) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in self.attr(column)], dtype=np.float64)


class Rows:
    """Cost rows of one month, accumulated block by block as numpy arrays."""

    FIELDS = (
        "h0",
        "h1",
        "src",
        "line",
        "consumed",
        "pricing",
        "billed",
        "effective",
        "list",
        "contracted",
    )

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, **arrays: Any) -> None:
        unknown = set(arrays) - set(self.FIELDS)
        if unknown:
            raise ValueError(f"unknown row fields {sorted(unknown)}")
        sizes = [np.size(a) for a in arrays.values() if np.ndim(a) > 0]
        if 0 in sizes:
            return
        n = max(sizes, default=1)
        block = {}
        for name in self.FIELDS:
            value = arrays.get(name, np.nan)
            dtype = np.int32 if name in ("h0", "h1", "src", "line") else np.float64
            block[name] = np.broadcast_to(np.asarray(value, dtype=dtype), (n,))
        self.parts.append(block)

    def concat(self) -> dict[str, np.ndarray]:
        return {
            name: np.concatenate([p[name] for p in self.parts]) if self.parts else np.empty(0)
            for name in self.FIELDS
        }


def source(
    sources: Catalog,
    key: Hashable,
    account: int,
    region: int | None,
    service: str,
    resource_id: str | None = None,
    resource_name: str | None = None,
    resource_type: str | None = None,
    tags: str | None = None,
) -> int:
    """The index of the resource `key` in `sources` (added when new): where a cost comes from."""
    acc = ACCOUNTS[account]
    reg = REGIONS[region] if region is not None else None
    return sources.add(
        key,
        BillingAccountId=acc.billing_id,
        BillingCurrency=acc.currency,
        BillingAccountName=acc.billing_name,
        SubAccountId=acc.sub_id,
        SubAccountName=acc.sub_name,
        RegionId=reg.id if reg else None,
        RegionName=reg.name if reg else None,
        ResourceId=resource_id,
        ResourceName=resource_name,
        ResourceType=resource_type,
        ServiceCategory=SERVICE_CATEGORY[service] if service else None,
        ServiceName=service or None,
        Tags=tags,
        meta=(account, region),
    )


def line(
    lines: Catalog,
    key: Hashable,
    *,
    category: str,
    frequency: str,
    description: str,
    consumed_unit: str | None = None,
    pricing_unit: str | None = None,
    pricing: str | None = "Standard",
    sku: tuple[object, ...] | None = None,
    list_price: float | None = None,
    contracted_price: float | None = None,
    commitment: dict[str, str] | None = None,
) -> int:
    """The index of the charge kind `key` in `lines` (added when new): how a cost is charged.
    A usage-based kind also gets a twin spelled "Usage-based" (see Catalogs.variant)."""
    sku_code = sku_id(*sku) if sku else None
    attrs: dict[str, Any] = {
        "ChargeCategory": category,
        "ChargeFrequency": frequency,
        "ChargeDescription": description,
        "ConsumedUnit": consumed_unit,
        "PricingUnit": pricing_unit,
        "PricingCategory": pricing,
        "SkuId": sku_code,
        "SkuPriceId": f"{sku_code}.JRTCKXETXF.6YS6EN2CT7" if sku_code else None,
        "ListUnitPrice": list_price,
        "ContractedUnitPrice": contracted_price,
    }
    attrs.update(commitment or {})
    idx = lines.add(key, **attrs)
    if frequency == "Usage-Based":  # real exports sometimes spell it with a lower-case b
        lines.add(("variant", key), **{**attrs, "ChargeFrequency": "Usage-based"})
    return idx


def billing_frame(rows: dict[str, np.ndarray], cat: Catalogs, iso: list[str]) -> pd.DataFrame:
    """A month's rows as a frame of FOCUS columns (`iso`: the window's hours as timestamps)."""
    cols: dict[str, Any] = {}
    for name in SOURCE_COLUMNS:
        cols[name] = cat.sources.categorical(name, rows["src"])
    for name in LINE_COLUMNS:
        cols[name] = cat.lines.categorical(name, rows["line"])
    cols["ChargePeriodStart"] = pd.Categorical.from_codes(rows["h0"], categories=iso)
    cols["ChargePeriodEnd"] = pd.Categorical.from_codes(rows["h1"], categories=iso)
    list_price = cat.lines.number("ListUnitPrice")[rows["line"]]
    contracted_price = cat.lines.number("ContractedUnitPrice")[rows["line"]]
    cols["ListUnitPrice"] = list_price
    cols["ContractedUnitPrice"] = contracted_price
    cols["BilledCost"] = round_to(rows["billed"])
    cols["EffectiveCost"] = round_to(rows["effective"])
    cols["ListCost"] = round_to(rows["list"])
    cols["ContractedCost"] = round_to(rows["contracted"])
    cols["ConsumedQuantity"] = round_to(rows["consumed"])
    cols["PricingQuantity"] = round_to(rows["pricing"])
    return pd.DataFrame({k: v for k, v in cols.items() if v is not None})


def billing_select(frame: pd.DataFrame, month: Month) -> str:
    """The SELECT over `frame` that writes every FOCUS column in the billing file's order."""
    exprs = []
    for name in BILLING_COLUMNS:
        if name in CONSTANT_COLUMNS:
            exprs.append(f"'{CONSTANT_COLUMNS[name]}' AS {name}")
        elif name == "BillingPeriodStart":
            exprs.append(f"'{month.period_start}' AS {name}")
        elif name == "BillingPeriodEnd":
            exprs.append(f"'{month.period_end}' AS {name}")
        elif name not in frame.columns:
            exprs.append(f"CAST(NULL AS VARCHAR) AS {name}")
        elif name in MONEY_COLUMNS:
            exprs.append(f"CAST({name} AS DECIMAL(38, 10)) AS {name}")
        else:
            exprs.append(f"CAST({name} AS VARCHAR) AS {name}")
    return "SELECT " + ", ".join(exprs) + " FROM frame"


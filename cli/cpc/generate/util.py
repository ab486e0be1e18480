"""Small helpers shared by the generator's modules: stable ids, prices as text, array tricks."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from cpc.generate.company import PRICE_LIST_FACTOR


def hex_id(*parts: object, n: int = 17) -> str:
    """A stable pseudo-random hex string derived from `parts`."""
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:n]


def sku_id(*parts: object) -> str:
    """A stable SKU id (16 characters of an unambiguous alphabet) derived from `parts`."""
    digest = hashlib.sha1("|".join(map(str, parts)).encode()).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:16])


def local_price(usd_price: float, currency: str) -> float:
    """A list price (USD) in the price list of ``currency``."""
    return round(usd_price * PRICE_LIST_FACTOR[currency], 10)


def price_text(usd_price: float, currency: str, spec: str = "") -> str:
    """A price as a charge description writes it: "$0.384", or "EUR 0.35328"."""
    if currency == "USD":
        return f"${usd_price:{spec}}"
    return f"{currency} " + f"{local_price(usd_price, currency):.10f}".rstrip("0").rstrip(".")


def tags_json(**kv: str) -> str:
    """Resource tags as the FOCUS Tags column writes them (compact JSON)."""
    return json.dumps(kv, separators=(",", ":"))


def quotas(n: int, shares: np.ndarray, at_least_one: bool) -> np.ndarray:
    """Split `n` into integer counts close to `shares` (largest remainder)."""
    raw = n * shares
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    if at_least_one:
        for i in np.flatnonzero(counts == 0):
            counts[int(np.argmax(counts))] -= 1
            counts[i] = 1
    return counts


def expand(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For intervals [start, end) return (interval index, position) for every integer inside."""
    counts = np.maximum(ends - starts, 0)
    idx = np.repeat(np.arange(len(starts)), counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return idx, starts[idx] + offsets


def round_to(x: np.ndarray | float, places: int = 10) -> np.ndarray:
    """`x` as a float array rounded to `places` decimals (10: the files' money precision)."""
    return np.round(np.asarray(x, dtype=np.float64), places)

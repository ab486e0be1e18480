"""Billing file formats: how a file in billing/ is recognized and which columns land.

Every file under ``billing/`` is read by its header and matched to exactly one
:class:`BillingFormat`. Its rows land in that format's raw table (all text) and are normalized to
the FOCUS-shaped billing charge contract by that format's staging model
(``models/staging/<provider>/``). One module per format defines its ``FORMAT``.

Header names are compared by :func:`match_key`: case-insensitive, ignoring whitespace, a UTF-8
BOM and the separators ``_ - / . :``, so ``lineItem/UnblendedCost`` (AWS CUR legacy) and
``line_item_unblended_cost`` (CUR 2.0) are the same column, as are ``service.description`` and
``service_description``.
"""

from __future__ import annotations

from cpc.errors import UserError
from cpc.formats import aws_cur, azure, focus, gcp, oci
from cpc.formats.base import BillingFormat, match_key

#: Every billing format, in detection order (the first whose signature matches wins).
FORMATS: tuple[BillingFormat, ...] = (
    focus.FORMAT,
    aws_cur.FORMAT,
    azure.FORMAT,
    gcp.FORMAT,
    oci.FORMAT,
)

__all__ = ["FORMATS", "BillingFormat", "detect", "expected_layouts", "match_key"]


def _matches(fmt: BillingFormat, keys: set[str]) -> bool:
    """Whether every column of at least one of the format's signatures is among the keys."""
    return any(
        signature and all(match_key(name) in keys for name in signature)
        for signature in fmt.signatures
    )


def detect(
    header: list[str], relative_path: str, formats: tuple[BillingFormat, ...] = FORMATS
) -> BillingFormat:
    """The first format (in ``formats`` order) whose signature the header matches.

    ``header`` holds the column names as written (for JSON lines and parquet: the flattened
    ``a.b`` names). Raises UserError naming the file and the layouts expected when none matches.
    """
    keys = {match_key(name) for name in header}
    for fmt in formats:
        if _matches(fmt, keys):
            return fmt
    raise UserError(
        f"{relative_path}: unrecognized billing layout: expected {expected_layouts(formats)}"
    )


def _describe_signatures(signatures: tuple[tuple[str, ...], ...]) -> str:
    """The signature columns in words: common columns once, then the alternatives with 'or'.

    (("A", "B", "C"), ("A", "B", "D")) -> "A, B, C or D".
    """
    alternatives = [list(signature) for signature in signatures if signature]
    if not alternatives:
        return ""
    if len(alternatives) == 1:
        return ", ".join(alternatives[0])
    common_keys = set.intersection(*({match_key(n) for n in alt} for alt in alternatives))
    common = [name for name in alternatives[0] if match_key(name) in common_keys]
    rests: list[list[str]] = []
    for alt in alternatives:
        rest = [name for name in alt if match_key(name) not in common_keys]
        if rest and [match_key(n) for n in rest] not in [[match_key(n) for n in r] for r in rests]:
            rests.append(rest)
    if rests and all(len(rest) == 1 for rest in rests):
        return ", ".join([*common, " or ".join(rest[0] for rest in rests)])
    return " or ".join(", ".join(alt) for alt in alternatives)


def expected_layouts(formats: tuple[BillingFormat, ...] = FORMATS) -> str:
    """Every format's label and signature columns, for messages: ``one of: FOCUS 1.0–1.3:
    ChargePeriodStart, ChargePeriodEnd, BilledCost or EffectiveCost; ...; Oracle Cloud cost
    report: cost/myCost, lineItem/intervalUsageStart``."""
    parts = [f"{fmt.label}: {_describe_signatures(fmt.signatures)}" for fmt in formats]
    return "one of: " + "; ".join(parts)

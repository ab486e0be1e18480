"""The BillingFormat description and header matching shared by every format module."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


def match_key(name: str) -> str:
    """Key for header matching: case-insensitive; ignores whitespace, BOM and ``_ - / . :``."""
    return re.sub(r"[\s_\-/.:\ufeff]+", "", name).lower()


@dataclass(frozen=True)
class BillingFormat:
    """One billing export layout."""

    #: Short id, also the value of ``billing_format`` in staging: focus, aws_cur, azure, gcp, oci.
    name: str
    #: Landed raw table (schema cpc_raw): billing, billing_aws, billing_azure, ...
    table: str
    #: Human name used in messages ("AWS Cost and Usage Report (legacy CSV or CUR 2.0)").
    label: str
    #: (display name used in messages, landed snake_case column name), in landed order.
    columns: tuple[tuple[str, str], ...]
    #: Detection: a header is this format when, for at least one alternative, every column of
    #: the alternative is present (compared with match_key).
    signatures: tuple[tuple[str, ...], ...]
    #: Landed names of the columns every file of this format must have.
    required: tuple[str, ...]
    #: Header prefixes (compared with match_key) whose columns are packed, at landing, into the
    #: landed column ``tags_column`` as one JSON object text {key: value}, the key being the
    #: header after the prefix as written (``resourceTags/user:team`` -> ``user:team``).
    #: Empty values are left out; a row without tags gets NULL.
    tag_prefixes: tuple[str, ...] = ()
    tags_column: str | None = None
    #: Optional: (header names as written, file path relative to the input folder) -> the
    #: ``_source_variant`` landed with every row of the file ('legacy', 'cur2', 'amortized', ...).
    variant: Callable[[list[str], str], str | None] | None = None
    #: Landed columns holding numbers (money, quantities, rates) and dates: landing reads their
    #: values to decide each file's decimal mark and date order (:mod:`cpc.conventions`).
    numeric_columns: tuple[str, ...] = ()
    date_columns: tuple[str, ...] = ()

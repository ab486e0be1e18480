"""One-line messages about a user's value, and the problem type validators raise."""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from sqlglot import exp

from cpc.rules.model import READ_DIALECT

_SNIPPET_MAX = 60


class _Problem(Exception):
    """A validation problem, phrased without the file/rule context."""


def _fmt(number: float) -> str:
    """A number for messages: short, without float noise."""
    return f"{number:.12g}"


def _snippet(node: Any) -> str:
    """A short SQL rendering of ``node`` for error messages."""
    if not isinstance(node, exp.Expression):
        return str(node)
    try:
        text = node.sql(dialect=READ_DIALECT, normalize_functions="lower", comments=False)
    except Exception:  # noqa: BLE001 - best effort, for messages only
        text = type(node).__name__
    return text or type(node).__name__


def _show(value: Any) -> str:
    """Quote a user value for a one-line message, shortened if long."""
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")
    if len(text) > _SNIPPET_MAX:
        text = text[: _SNIPPET_MAX - 3] + "..."
    return f"'{text}'"


def _one_line(message: str) -> str:
    """Collapse a message onto one line."""
    return " ".join(message.split())


def _type_name(value: Any) -> str:
    """Describe a YAML value's type in user terms."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, dt.date):
        return "a date"
    if value is None:
        return "empty"
    return type(value).__name__


def _did_you_mean(value: Any, options: tuple[str, ...]) -> str:
    """Suggest the closest option to a misspelt key or method."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value.lower(), options, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""

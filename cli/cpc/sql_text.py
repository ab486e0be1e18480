"""SQL text the CLI writes itself: quoted identifiers and string literals (DuckDB's rules)."""

from __future__ import annotations


def identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def literal_or_null(text: str | None) -> str:
    """``text`` as an SQL string literal, or NULL typed as text when there is none."""
    return "CAST(NULL AS VARCHAR)" if text is None else literal(text)

"""The predicate language of `match` and `basis`: parsed, checked against a whitelist, re-rendered."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from cpc.errors import UserError
from cpc.rules.fields import _unique_keys
from cpc.rules.messages import (
    _one_line,
    _Problem,
    _show,
    _snippet,
    _type_name,
)
from cpc.rules.model import (
    _DATE_RE,
    _JINJA_MARKERS,
    _TAG_FUNCTION_KEY_RE,
    _TAG_KEY_MAX,
    ALLOWED_COLUMNS,
    CHARGE_DATE_COLUMN,
    CHARGE_DATE_SQL_COLUMN,
    NUMERIC_COLUMNS,
    PSEUDO_COLUMNS,
    READ_DIALECT,
    TAG_COLUMN_PREFIX,
    _check_dialect,
    tag_column,
)

_NUMBER_RE = re.compile(r"(\d*)(?:\.(\d*))?([eE][+-]?\d+)?")
_ALLOWED_SUMMARY = (
    "columns, tag('key'), charge_date, literals, date 'YYYY-MM-DD', comparisons, "
    "AND/OR/NOT, IN, LIKE, IS NULL"
)

_COMPARISONS: tuple[type[exp.Expression], ...] = (
    exp.EQ,
    exp.NEQ,
    exp.LT,
    exp.LTE,
    exp.GT,
    exp.GTE,
)


def compile_match(text: str, dialect: str = READ_DIALECT) -> str:
    """Validate a ``match`` predicate and render it, parenthesised, for ``dialect``.

    The predicate is read as DuckDB SQL, checked against the allowed grammar (docs/allocation.md,
    "The rule file") and rebuilt from scratch, so only whitelisted syntax reaches dbt.
    Columns come out lower-case and unquoted; ``charge_date`` comes out as ``cost_date``,
    ``category`` as ``cost_category``, ``pool`` as ``pool_name``,
    ``tag('key')`` as the column :func:`tag_column` names, date literals as
    ``CAST('YYYY-MM-DD' AS DATE)``; a bare TRUE/FALSE comes out as ``true``/``false``
    without parentheses (Spark would read ``WHERE (TRUE)`` after a table name as a
    column-alias list). ``basis`` predicates use the same language.

    Raises:
        UserError: When the predicate is not allowed (one line, without file context).
    """
    _check_dialect(dialect)
    if not isinstance(text, str):
        raise UserError(f"match must be text, not {_type_name(text)}")
    try:
        return _compile(text, dialect)[0]
    except _Problem as problem:
        raise UserError(_one_line(str(problem))) from None


def _match(
    item: dict[str, Any], fail: Callable[[str], UserError], dialect: str, what: str
) -> tuple[str | None, str, tuple[str, ...]]:
    """Validate ``match``: the text as written, its rendered SQL (``true`` without one), tag keys."""
    match = item.get("match")
    if "match" in item and match is None:
        raise fail("match is empty; remove it to match every charge")
    if match is None:
        return None, "true", ()
    if not isinstance(match, str):
        raise fail(f"match must be a SQL condition written as text, not {_type_name(match)}")
    try:
        match_sql, tag_keys = _compile(match, dialect, what)
    except _Problem as problem:
        raise fail(str(problem)) from None
    return match, match_sql, tag_keys


def _compile(text: str, dialect: str, what: str = "match") -> tuple[str, tuple[str, ...]]:
    """Parse, check, rebuild and render one predicate; raise _Problem when not allowed.

    Returns the rendered SQL and the ``tag('key')`` keys it uses, in order of use.
    """
    if not text.strip():
        if what == "match":
            raise _Problem("match is empty; remove it to match every charge")
        raise _Problem(f"{what} is empty; remove it")
    for marker in _JINJA_MARKERS:
        if marker in text:
            raise _Problem(f"{marker!r} is not allowed in {what} (no Jinja templating)")
    try:
        tokens = sqlglot.Dialect.get_or_raise(READ_DIALECT).tokenize(text)
    except TokenError:
        raise _Problem(
            f"could not read {what} {_show(text)} (unterminated string or stray character?)"
        ) from None
    except Exception:  # noqa: BLE001 - junk must never produce a traceback
        raise _Problem(f"could not read {what} {_show(text)}") from None
    for token in tokens:
        if token.comments:
            raise _Problem(f"comments are not allowed in {what}")
        if token.token_type == TokenType.SEMICOLON:
            raise _Problem(f"';' is not allowed in {what}: write one condition, not statements")
    try:
        statements = [s for s in sqlglot.parse(text, read=READ_DIALECT) if s is not None]
    except ParseError as err:
        raise _Problem(_parse_error(err, what)) from None
    except RecursionError:
        raise _Problem(f"{what} is nested too deeply") from None
    except Exception:  # noqa: BLE001 - junk must never produce a traceback
        raise _Problem(f"{what} {_show(text)} is not a valid SQL condition") from None
    if len(statements) != 1:
        raise _Problem(f"{what} must be a single SQL condition")
    checker = _Checker(what)
    try:
        tree = checker.condition(statements[0])
    except RecursionError:
        raise _Problem(f"{what} is nested too deeply") from None
    return _render(tree, dialect, what), _unique_keys(checker.tag_keys)


def _render(tree: exp.Expression, dialect: str, what: str = "match") -> str:
    """Render a checked tree for ``dialect`` and make sure it reads back identically."""
    try:
        sql = tree.sql(dialect=dialect, comments=False)
        again = _plain_casts(sqlglot.parse_one(sql, read=dialect))
    except Exception:  # noqa: BLE001 - a rendering bug must still be a clean error
        raise _Problem(f"{what} could not be rendered for {dialect}") from None
    if again != tree:
        raise _Problem(f"{what} does not render unambiguously for {dialect}: {_show(sql)}")
    for marker in _JINJA_MARKERS:
        if marker in sql:
            raise _Problem(f"{marker!r} is not allowed in {what} (no Jinja templating)")
    core = tree
    while isinstance(core, exp.Paren):
        core = core.this
    if isinstance(core, exp.Boolean):
        # Bare, because Spark reads "FROM t WHERE (TRUE)" as a column-alias list.
        return "true" if core.this else "false"
    return f"({sql})"


def _plain_casts(tree: exp.Expression) -> exp.Expression:
    """Re-read casts as plain casts (sqlglot reads Spark's CAST as a TryCast)."""

    def plain(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Cast):
            return exp.Cast(this=node.this, to=node.to)
        return node

    return tree.transform(plain)


def _parse_error(err: ParseError, what: str = "match") -> str:
    """Summarise a sqlglot ParseError as one line."""
    if err.errors:
        first = err.errors[0]
        description = str(first.get("description") or "syntax error")
        if "Required keyword" in description or "<class" in description:
            description = "incomplete condition"
        highlight = str(first.get("highlight") or "").strip()
        near = f" near {_show(highlight)}" if highlight else ""
        return f"{what} is not a valid SQL condition: {description}{near}"
    return f"{what} is not a valid SQL condition"


def _date_literal(text: str) -> exp.Expression:
    """The portable date literal ``CAST('YYYY-MM-DD' AS DATE)`` for a valid ISO date."""
    return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("date"))


def _string_literal(node: exp.Expression) -> str | None:
    """The text of a (possibly parenthesised) string literal, else None."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string and isinstance(node.this, str):
        return node.this
    return None


def _is_tag_call(node: exp.Expression) -> bool:
    """Whether ``node`` is a call of the ``tag(...)`` pseudo-function."""
    return (
        isinstance(node, exp.Anonymous)
        and isinstance(node.this, str)
        and node.this.lower() == "tag"
    )


class _Checker:
    """Rebuilds a parsed predicate from whitelisted node types only.

    ``condition`` handles boolean positions, ``value`` handles operands; each returns a
    fresh tree built from scratch (no comments, metadata or unexpected arguments), and
    ``value`` also returns the operand's kind: ``"text"``, ``"number"``, ``"date"`` or
    ``"null"``. ``tag_keys`` collects the keys of the ``tag('key')`` calls seen.
    """

    def __init__(self, what: str = "match") -> None:
        """Check a predicate written for ``what`` (``match`` or ``basis``)."""
        self.what = what
        self.tag_keys: list[str] = []

    def condition(self, node: exp.Expression) -> exp.Expression:
        """Check and rebuild a node in a boolean position."""
        if isinstance(node, exp.Paren):
            self._only(node, "this")
            return exp.Paren(this=self.condition(node.this))
        if isinstance(node, (exp.And, exp.Or)):
            self._only(node, "this", "expression")
            return type(node)(
                this=self.condition(node.this), expression=self.condition(node.expression)
            )
        if isinstance(node, exp.Not):
            self._only(node, "this")
            return exp.Not(this=self.condition(node.this))
        if isinstance(node, exp.Boolean):
            self._only(node, "this")
            return exp.Boolean(this=bool(node.this))
        if isinstance(node, _COMPARISONS):
            return self._comparison(node)
        if isinstance(node, exp.In):
            return self._in(node)
        if isinstance(node, (exp.Like, exp.ILike)):
            return self._like(node)
        if isinstance(node, exp.Is):
            return self._is(node)
        if isinstance(node, exp.Between):
            return self._between(node)
        if isinstance(node, exp.Alias):
            raise _Problem(
                f"unexpected {_show(node.alias)} after {_show(_snippet(node.this))} in "
                f"{self.what} (missing AND/OR, or text without 'single quotes'?)"
            )
        if isinstance(node, exp.Null):
            raise _Problem("NULL on its own is not a condition; use 'column IS NULL'")
        if isinstance(node, (exp.Column, exp.Literal)) or _is_tag_call(node):
            raise _Problem(
                f"{_show(_snippet(node))} is not a condition; compare it, e.g. "
                "service_name = 'Amazon EC2'"
            )
        raise self._not_allowed(node)

    def value(self, node: exp.Expression) -> tuple[exp.Expression, str]:
        """Check and rebuild an operand; return it with its kind."""
        if isinstance(node, exp.Paren):
            self._only(node, "this")
            inner, kind = self.value(node.this)
            return exp.Paren(this=inner), kind
        if isinstance(node, exp.Column):
            return self._column(node)
        if isinstance(node, exp.Literal):
            return self._literal(node)
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
            self._only(node, "this")
            literal, kind = self._literal(node.this)
            if kind != "number":
                raise self._not_allowed(node)
            return exp.Neg(this=literal), kind
        if isinstance(node, exp.Null):
            return exp.Null(), "null"
        if isinstance(node, exp.Boolean):
            raise _Problem(
                f"{_show(_snippet(node))} can only be used as a whole condition, not compared"
            )
        if _is_tag_call(node):
            return self._tag(node)
        if isinstance(node, exp.Cast):
            return self._cast(node)
        raise self._not_allowed(node)

    def _comparison(self, node: exp.Expression) -> exp.Expression:
        """Rebuild ``a <op> b`` after checking both operands have compatible kinds."""
        self._only(node, "this", "expression")
        left, left_kind = self.value(node.this)
        right, right_kind = self.value(node.expression)
        if "null" in (left_kind, right_kind):
            raise _Problem(f"{_show(_snippet(node))} is never true; use 'IS NULL' / 'IS NOT NULL'")
        left, left_kind = self._as_date(left, left_kind, right_kind)
        right, right_kind = self._as_date(right, right_kind, left_kind)
        self._same_kind(node, left_kind, right_kind)
        return type(node)(this=left, expression=right)

    def _in(self, node: exp.In) -> exp.Expression:
        """Rebuild ``a [NOT] IN (literal, ...)``."""
        self._only(node, "this", "expressions")
        left, left_kind = self.value(node.this)
        items: list[exp.Expression] = []
        for item in node.expressions:
            if isinstance(item, exp.Null):
                raise _Problem(
                    f"NULL in an IN list never matches (and breaks NOT IN); "
                    f"use 'IS NULL' instead: {_show(_snippet(node))}"
                )
            if not isinstance(item, (exp.Literal, exp.Neg, exp.Cast)):
                raise _Problem(
                    f"{_show(_snippet(item))} is not allowed in an IN list (literals only)"
                )
            rebuilt, kind = self.value(item)
            rebuilt, kind = self._as_date(rebuilt, kind, left_kind)
            self._same_kind(node, left_kind, kind)
            items.append(rebuilt)
        if not items:
            raise _Problem(f"{_show(_snippet(node))}: the IN list is empty")
        return exp.In(this=left, expressions=items)

    def _between(self, node: exp.Between) -> exp.Expression:
        """Rebuild ``charge_date BETWEEN date 'a' AND date 'b'`` (dates only)."""
        self._only(node, "this", "low", "high")
        left, left_kind = self.value(node.this)
        if left_kind != "date":
            raise self._not_allowed(node)
        bounds: list[exp.Expression] = []
        for bound in (node.args.get("low"), node.args.get("high")):
            if not isinstance(bound, (exp.Literal, exp.Cast, exp.Paren)):
                raise _Problem(f"{_show(_snippet(node))}: BETWEEN needs date 'YYYY-MM-DD' bounds")
            rebuilt, kind = self.value(bound)
            rebuilt, kind = self._as_date(rebuilt, kind, left_kind)
            self._same_kind(node, left_kind, kind)
            bounds.append(rebuilt)
        return exp.Between(this=left, low=bounds[0], high=bounds[1])

    def _like(self, node: exp.Expression) -> exp.Expression:
        """Rebuild ``a [NOT] LIKE|ILIKE 'pattern'`` (text operand, literal pattern)."""
        self._only(node, "this", "expression", "negate")
        left, left_kind = self.value(node.this)
        pattern = node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise _Problem(
                f"{_show(_snippet(node))}: the LIKE pattern must be a 'quoted' text literal"
            )
        if "\\" in pattern.this:
            raise _Problem(
                f"{_show(_snippet(node))}: backslashes in LIKE patterns are not allowed "
                "(DuckDB and Spark treat them differently)"
            )
        if left_kind not in ("text", "null"):
            raise _Problem(f"{_show(_snippet(node))}: LIKE needs text, not a {left_kind}")
        kwargs: dict[str, Any] = {"this": left, "expression": exp.Literal.string(pattern.this)}
        if node.args.get("negate"):
            kwargs["negate"] = True
        return type(node)(**kwargs)

    def _is(self, node: exp.Is) -> exp.Expression:
        """Rebuild ``a IS [NOT] NULL``."""
        self._only(node, "this", "expression", "negate")
        if not isinstance(node.expression, exp.Null):
            raise self._not_allowed(node)
        left, _kind = self.value(node.this)
        rebuilt = exp.Is(this=left, expression=exp.Null())
        return exp.Not(this=rebuilt) if node.args.get("negate") else rebuilt

    def _column(self, node: exp.Column) -> tuple[exp.Expression, str]:
        """Rebuild an unqualified, known column as a lower-case unquoted identifier."""
        if any(node.args.get(part) for part in ("table", "db", "catalog")):
            raise _Problem(
                f"qualified column {_show(_snippet(node))} is not allowed in {self.what}; "
                "use the bare column name"
            )
        self._only(node, "this")
        ident = node.this
        if not isinstance(ident, exp.Identifier) or not isinstance(ident.this, str):
            raise self._not_allowed(node)
        self._only(ident, "this", "quoted")
        name = ident.this.lower()
        if name == CHARGE_DATE_COLUMN:
            if self.what == "surcharge match":
                raise _Problem(
                    "charge_date is not available in a surcharge match: a surcharge applies to "
                    "whole charges; use effective_from / effective_to"
                )
            return exp.column(CHARGE_DATE_SQL_COLUMN, quoted=False), "date"
        if name in PSEUDO_COLUMNS:
            return exp.column(PSEUDO_COLUMNS[name], quoted=False), "text"
        if name not in ALLOWED_COLUMNS:
            known = (*ALLOWED_COLUMNS, CHARGE_DATE_COLUMN, *PSEUDO_COLUMNS)
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = (
                f"; did you mean {', '.join(close)}?"
                if close
                else f"; allowed columns: {', '.join(known)}, and tag('key') for a tag's value"
            )
            quoted = (
                " (text values need 'single quotes', not \"double quotes\")"
                if ident.args.get("quoted")
                else ""
            )
            raise _Problem(f"unknown column {_show(ident.this)} in {self.what}{quoted}{hint}")
        kind = "number" if name in NUMERIC_COLUMNS else "text"
        return exp.column(name, quoted=False), kind

    def _tag(self, node: exp.Expression) -> tuple[exp.Expression, str]:
        """Rebuild ``tag('key')`` as the text column :func:`tag_column` names."""
        self._only(node, "this", "expressions")
        args = node.expressions
        usage = "tag() takes one tag key in 'single quotes', e.g. tag('team')"
        if len(args) != 1 or _string_literal(args[0]) is None or isinstance(args[0], exp.Paren):
            raise _Problem(f"{_show(_snippet(node))} is not allowed in {self.what}: {usage}")
        self._only(args[0], "this", "is_string")
        key = args[0].this
        if not key or len(key) > _TAG_KEY_MAX or not _TAG_FUNCTION_KEY_RE.fullmatch(key):
            raise _Problem(
                f"tag key {_show(key)} in {self.what} is not allowed: use letters, digits, "
                f"spaces and _ . : / - only, at most {_TAG_KEY_MAX} characters"
            )
        column = tag_column(key)
        if column == TAG_COLUMN_PREFIX:
            raise _Problem(f"tag key {_show(key)} in {self.what} needs a letter or digit")
        self.tag_keys.append(key)
        return exp.column(column, quoted=False), "text"

    def _cast(self, node: exp.Cast) -> tuple[exp.Expression, str]:
        """Rebuild ``date 'YYYY-MM-DD'`` (also written ``cast('...' as date)``)."""
        self._only(node, "this", "to")
        target = node.to
        text = _string_literal(node.this)
        if (
            not isinstance(target, exp.DataType)
            or target.this != exp.DataType.Type.DATE
            or isinstance(node.this, exp.Paren)
            or text is None
        ):
            raise self._not_allowed(node)
        self._only(target, "this", "nested")
        self._only(node.this, "this", "is_string")
        return _date_literal(self._iso_date(text)), "date"

    def _as_date(
        self, node: exp.Expression, kind: str, other_kind: str
    ) -> tuple[exp.Expression, str]:
        """Read a text literal compared with a date as a date literal."""
        text = _string_literal(node)
        if other_kind != "date" or kind != "text" or text is None:
            return node, kind
        return _date_literal(self._iso_date(text)), "date"

    def _iso_date(self, text: str) -> str:
        """Check ``text`` is a valid ``YYYY-MM-DD`` date and return it."""
        if _DATE_RE.fullmatch(text):
            try:
                dt.date.fromisoformat(text)
            except ValueError as err:
                raise _Problem(
                    f"{_show(text)} in {self.what} is not a valid date ({err})"
                ) from None
            return text
        raise _Problem(
            f"{_show(text)} in {self.what} is not a date; write date 'YYYY-MM-DD' "
            "(charge_date is compared with dates)"
        )

    def _literal(self, node: exp.Literal) -> tuple[exp.Expression, str]:
        """Rebuild a string or number literal."""
        self._only(node, "this", "is_string")
        value = node.this
        if not isinstance(value, str):
            raise self._not_allowed(node)
        if node.is_string:
            if "\x00" in value:
                raise _Problem(f"NUL characters are not allowed in {self.what}")
            return exp.Literal.string(value), "text"
        match = _NUMBER_RE.fullmatch(value)
        if not match or not (match.group(1) or match.group(2)):
            raise self._not_allowed(node)
        whole, fraction, exponent = match.group(1) or "0", match.group(2), match.group(3)
        number = whole + (f".{fraction}" if fraction else "") + (exponent or "")
        return exp.Literal.number(number), "number"

    @staticmethod
    def _same_kind(node: exp.Expression, left: str, right: str) -> None:
        """Refuse comparing different kinds (DuckDB fails at run time, Spark silently)."""
        if "null" in (left, right) or left == right:
            return
        if "date" in (left, right):
            other = right if left == "date" else left
            raise _Problem(
                f"{_show(_snippet(node))} compares a date with "
                f"{'a number' if other == 'number' else 'text'} (compare charge_date with "
                "date 'YYYY-MM-DD')"
            )
        raise _Problem(
            f"{_show(_snippet(node))} compares text with a number (text values need "
            f"'single quotes'; numeric columns {', '.join(sorted(NUMERIC_COLUMNS))} "
            "need plain numbers)"
        )

    def _only(self, node: exp.Expression, *allowed: str) -> None:
        """Refuse nodes carrying arguments outside ``allowed`` (e.g. IN (subquery))."""
        for key, value in node.args.items():
            if key not in allowed and value not in (None, False, [], ""):
                raise self._not_allowed(node)

    def _not_allowed(self, node: exp.Expression) -> _Problem:
        """The generic "not allowed" problem for ``node``."""
        return _Problem(
            f"{_show(_snippet(node))} is not allowed in {self.what} (allowed: {_ALLOWED_SUMMARY})"
        )

"""Pseudonymized customers: ``privacy: {pseudonymize_customers: true}`` in allocation.yml.

A customer's pseudonym is ``cust_`` and the first 12 hex digits of HMAC-SHA256 keyed with the
secret salt (the environment variable ``CPC_SALT``) over the lower-cased customer id: the same id
and salt give the same pseudonym in every build, and without the salt a pseudonym cannot be
traced back to its id. Two customers share a pseudonym with a probability of about n² / 2⁴⁹
(48 bits: about 1 in 22 million for 5,000 customers); a build that meets such a collision fails.

The warehouse is private and keeps the real ids and names in its marts. A build with the setting
also writes, in the schema ``cpc_private`` (never read by dbt, never published):

    cpc_private.customer_pseudonyms   customer_id, customer_name, customer_pseudonym
    cpc_private.privacy               pseudonymize_customers, salt_fingerprint, customers

The salt itself is written nowhere; ``salt_fingerprint`` is a short HMAC of a constant, which
tells whether two builds used the same salt. A build without the setting drops the schema.

What people read from the warehouse goes through :class:`Pseudonyms`: `cpc dashboard`, `cpc
publish` and `cpc docs` replace every customer id and name, wherever it appears in a text value
(a whole word of it, matched case-insensitively: ``cust-00006`` in ``tenant-cust-00006`` too),
by the customer's pseudonym (the docs site: in its manifest and catalog, not in dbt's script).
A name two customers share becomes ``NAME_WITHHELD``. Numbers are
not touched. `cpc explain` accepts a pseudonym and says which customer it stands for.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from cpc.errors import UserError
from cpc.warehouse import Query

#: The environment variable holding the secret salt.
SALT_VARIABLE = "CPC_SALT"
#: The shortest salt accepted (a short salt can be guessed, and with it every pseudonym).
MIN_SALT_LENGTH = 16
PREFIX = "cust_"
HEX_DIGITS = 12
#: The warehouse schema holding the mapping (private: not a dbt schema, never published).
SCHEMA = "cpc_private"
MAPPING_TABLE = f"{SCHEMA}.customer_pseudonyms"
SETTINGS_TABLE = f"{SCHEMA}.privacy"
#: What a customer name shared by several customers becomes.
NAME_WITHHELD = "name withheld"
_FINGERPRINT_MESSAGE = b"cpc salt fingerprint"
_PSEUDONYM = re.compile(rf"{PREFIX}[0-9a-f]{{{HEX_DIGITS}}}")


def salt_from_environment(where: str) -> str:
    """The salt from CPC_SALT, or a one-line UserError naming ``where`` (the rules file)."""
    salt = os.environ.get(SALT_VARIABLE, "")
    if not salt.strip():
        raise UserError(
            f"{where}: privacy pseudonymize_customers is true but the environment variable "
            f"{SALT_VARIABLE} is not set; set it to a secret of at least {MIN_SALT_LENGTH} "
            "characters (the same one every build, or the pseudonyms change)"
        )
    if len(salt) < MIN_SALT_LENGTH:
        raise UserError(
            f"{where}: the environment variable {SALT_VARIABLE} is {len(salt)} characters long; "
            f"a salt needs at least {MIN_SALT_LENGTH} (a short one can be guessed)"
        )
    return salt


def pseudonym(salt: str, customer_id: str) -> str:
    """``cust_`` + 12 hex digits of HMAC-SHA256(salt, lower(customer_id))."""
    digest = hmac.new(salt.encode("utf-8"), customer_id.lower().encode("utf-8"), hashlib.sha256)
    return PREFIX + digest.hexdigest()[:HEX_DIGITS]


def salt_fingerprint(salt: str) -> str:
    """A short HMAC of a constant: equal for equal salts, and no help in finding the salt."""
    return hmac.new(salt.encode("utf-8"), _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:HEX_DIGITS]


def write_mapping(con: duckdb.DuckDBPyConnection, salt: str | None) -> int:
    """Write ``cpc_private`` for the customers of ``marts.customers`` (salt given), or drop it
    (None: the build does not pseudonymize). Returns the number of customers mapped."""
    con.execute(f"drop schema if exists {SCHEMA} cascade")
    if salt is None:
        return 0
    customers = con.execute(
        "select customer_id, customer_name from marts.customers order by customer_id"
    ).fetchall()
    rows = [(customer_id, name, pseudonym(salt, customer_id)) for customer_id, name in customers]
    seen: dict[str, str] = {}
    for customer_id, _name, alias in rows:
        if alias in seen:
            raise UserError(
                f"customers '{seen[alias]}' and '{customer_id}' have the same pseudonym {alias} "
                f"(very unlikely); change {SALT_VARIABLE}"
            )
        seen[alias] = customer_id
    con.execute(f"create schema {SCHEMA}")
    con.execute(f"create table {MAPPING_TABLE} (customer_id varchar, customer_name varchar,"
                " customer_pseudonym varchar)")
    if rows:
        con.executemany(f"insert into {MAPPING_TABLE} values (?, ?, ?)", rows)
    con.execute(f"create table {SETTINGS_TABLE} as select true as pseudonymize_customers,"
                " ? as salt_fingerprint, ? as customers", [salt_fingerprint(salt), len(rows)])
    return len(rows)


@dataclass
class Pseudonyms:
    """The mapping of a warehouse built with ``pseudonymize_customers``, and the text scrubber."""

    #: customer_id -> (customer_name, pseudonym)
    customers: dict[str, tuple[str | None, str]]
    salt_fingerprint: str = ""
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)
    _replacement: dict[str, str] = field(default_factory=dict, repr=False)
    _by_pseudonym: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        names: dict[str, set[str]] = {}
        for customer_id, (name, alias) in self.customers.items():
            self._by_pseudonym[alias] = customer_id
            if name and name.strip():
                names.setdefault(name.strip().casefold(), set()).add(alias)
        for name, aliases in names.items():
            self._replacement[name] = aliases.pop() if len(aliases) == 1 else NAME_WITHHELD
        # Ids last: an id that is also someone's name stands for that customer.
        for customer_id, (_name, alias) in self.customers.items():
            self._replacement[customer_id.strip().casefold()] = alias
        needles = sorted((needle for needle in self._replacement if needle), key=len, reverse=True)
        if needles:
            alternatives = "|".join(re.escape(needle) for needle in needles)
            self._pattern = re.compile(rf"(?<![0-9a-z])(?:{alternatives})(?![0-9a-z])",
                                       re.IGNORECASE)

    @property
    def needles(self) -> list[str]:
        """Every id and name that is replaced (lower-cased)."""
        return list(self._replacement)

    def text(self, value: str) -> str:
        """``value`` with every customer id and name in it replaced by the customer's pseudonym."""
        if self._pattern is None:
            return value
        return self._pattern.sub(lambda match: self._replacement[match.group(0).casefold()], value)

    def value(self, value: Any) -> Any:
        """A text value scrubbed (:meth:`text`); any other value as it is."""
        return self.text(value) if isinstance(value, str) else value

    def real_id(self, customer: str) -> str | None:
        """The customer id a pseudonym stands for (None when it is not one of this warehouse's)."""
        return self._by_pseudonym.get(customer.strip().lower())

    def public_id(self, customer: str) -> str:
        """A customer named by id or pseudonym, as readers see it: its pseudonym."""
        if self.real_id(customer) is not None:
            return customer.strip().lower()
        for customer_id, (_name, alias) in self.customers.items():
            if customer_id == customer:
                return alias
        return customer

    def query(self, query: Query) -> Query:
        """``query`` reading the warehouse as readers see it: a pseudonym given as a parameter
        stands for its customer, and every text value of the rows is scrubbed."""

        def pseudonymized(sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
            if params:
                params = {key: (self.real_id(item) or item) if isinstance(item, str) else item
                          for key, item in params.items()}
            rows = query(sql, dict(params) if params else None)
            return [{key: self.value(item) for key, item in row.items()} for row in rows]

        return pseudonymized

    def sql_function(self, con: duckdb.DuckDBPyConnection, name: str) -> Callable[[], None]:
        """Register :meth:`text` as the SQL function ``name`` (varchar -> varchar) on ``con``;
        returns a function removing it."""
        cache: dict[str, str] = {}

        def scrub(value: str | None) -> str | None:
            if value is None:
                return None
            found = cache.get(value)
            if found is None:
                found = cache[value] = self.text(value)
            return found

        con.create_function(name, scrub, [duckdb.string_type()], duckdb.string_type(),
                            null_handling="special", side_effects=False)
        return lambda: con.remove_function(name)

    def detector(self) -> str:
        """A regular expression (RE2, no look-arounds) matching every text that :meth:`text`
        may change (a superset: it ignores word boundaries), for DuckDB's regexp_matches."""
        alternatives = "|".join(re.escape(needle) for needle in
                                sorted(self._replacement, key=len, reverse=True) if needle)
        return f"(?i)(?:{alternatives})" if alternatives else "$^"


def looks_like_pseudonym(text: str) -> bool:
    return bool(_PSEUDONYM.fullmatch(text.strip().lower()))


def load_duckdb(con: duckdb.DuckDBPyConnection) -> Pseudonyms | None:
    """The warehouse's mapping when its build pseudonymized customers, else None."""
    known = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database()"
        " and schema_name = ? and table_name in ('customer_pseudonyms', 'privacy')",
        [SCHEMA],
    ).fetchone()
    if not known or known[0] < 2:
        return None
    setting = con.execute(f"select pseudonymize_customers, salt_fingerprint from {SETTINGS_TABLE}").fetchone()
    if not setting or not setting[0]:
        return None
    rows = con.execute(f"select customer_id, customer_name, customer_pseudonym from {MAPPING_TABLE}").fetchall()
    return Pseudonyms({customer_id: (name, alias) for customer_id, name, alias in rows},
                      salt_fingerprint=str(setting[1] or ""))


def load(query: Query, target: str = "duckdb") -> Pseudonyms | None:
    """:func:`load_duckdb` through a warehouse's query function (None on Spark: not supported)."""
    if target != "duckdb":
        return None
    known = query(
        "select count(*) as n from duckdb_tables() where database_name = current_database()"
        " and schema_name = :schema and table_name in ('customer_pseudonyms', 'privacy')",
        {"schema": SCHEMA},
    )
    if not known or known[0]["n"] < 2:
        return None
    setting = query(f"select pseudonymize_customers, salt_fingerprint from {SETTINGS_TABLE}")
    if not setting or not setting[0]["pseudonymize_customers"]:
        return None
    rows = query(f"select customer_id, customer_name, customer_pseudonym from {MAPPING_TABLE}")
    return Pseudonyms({row["customer_id"]: (row["customer_name"], row["customer_pseudonym"])
                       for row in rows}, salt_fingerprint=str(setting[0]["salt_fingerprint"] or ""))

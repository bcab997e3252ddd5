"""The analytics views: one definition (views.sql, DuckDB dialect), transpiled to the other engines with sqlglot.

sqlglot is imported only where a statement is transpiled: a load of a current warehouse (every daily run) checks
the views' names and fingerprint, which come from the definition's text, and DuckDB runs DuckDB-dialect
statements as written; importing sqlglot and parsing the views cost a daily run about 0.2 s.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

from flightpipe.warehouse.ddl import Dialect

if TYPE_CHECKING:
    from sqlglot import exp

VIEWS_SQL = resources.files("flightpipe.warehouse").joinpath("views.sql").read_text(encoding="utf-8")

#: sqlglot's names for our dialects.
_SQLGLOT_DIALECT: dict[Dialect, str] = {"duckdb": "duckdb", "postgres": "postgres", "redshift": "redshift"}


@dataclass(frozen=True, slots=True)
class View:
    name: str
    select_sql: str


def transpile(sql: str, dialect: Dialect) -> str:
    """One DuckDB-dialect statement in ``dialect`` (on DuckDB: the statement as written)."""
    if dialect == "duckdb":
        return sql
    import sqlglot

    return for_engine(sqlglot.parse_one(sql, read="duckdb"), dialect).sql(dialect=_SQLGLOT_DIALECT[dialect])


def for_engine(expression: exp.Expr, dialect: Dialect) -> exp.Expr:
    """``expression`` rewritten where sqlglot's output would not run on ``dialect``.

    Redshift documents ``AT TIME ZONE`` with a literal zone only, and sqlglot keeps a column there (``ts AT TIME
    ZONE a.tz``); its documented form for a zone per row is ``CONVERT_TIMEZONE('UTC', zone, ts)`` (our
    timestamps are UTC), which gives the same local timestamp.
    """
    if dialect != "redshift":
        return expression
    from sqlglot import exp

    def convert(node: exp.Expr) -> exp.Expr:
        zone = node.args.get("zone")
        if isinstance(node, exp.AtTimeZone) and not isinstance(zone, exp.Literal):
            return exp.ConvertTimezone(source_tz=exp.Literal.string("UTC"), target_tz=zone, timestamp=node.this)
        return node

    return expression.transform(convert)


@functools.cache
def views(dialect: Dialect) -> tuple[View, ...]:
    """The views in dependency order (a view only reads views defined before it).

    On DuckDB each view's SELECT as views.sql writes it, cut out by DuckDB's own parser; transpiling it to
    DuckDB again through sqlglot gave the same views for 0.15 s of a fresh warehouse's first load."""
    if dialect == "duckdb":
        return _as_written()
    import sqlglot
    from sqlglot import exp

    found = []
    for statement in sqlglot.parse(VIEWS_SQL, read="duckdb"):
        if not isinstance(statement, exp.Create) or statement.kind != "VIEW":
            raise ValueError(f"views.sql may only create views, found: {statement!r:.80}")
        select = statement.expression
        assert select is not None
        rendered = for_engine(select, dialect).sql(dialect=_SQLGLOT_DIALECT[dialect], pretty=True)
        found.append(View(statement.this.name, rendered))
    return tuple(found)


_CREATE_VIEW = re.compile(r"^CREATE\s+VIEW\s+(\w+)\s+AS\s+", re.IGNORECASE | re.MULTILINE)


def _as_written() -> tuple[View, ...]:
    import duckdb

    found = []
    for statement in duckdb.extract_statements(VIEWS_SQL):
        match = _CREATE_VIEW.search(statement.query)
        if match is None:
            raise ValueError(f"views.sql may only create views, found: {statement.query.strip()!r:.80}")
        found.append(View(match.group(1), statement.query[match.end() :].strip().rstrip(";").rstrip()))
    return tuple(found)


#: The views' names in the order views.sql creates them (``views`` checks that it creates nothing else).
VIEW_NAMES = tuple(
    m.lower() for m in re.findall(r"^CREATE\s+VIEW\s+(\w+)", VIEWS_SQL, flags=re.MULTILINE | re.IGNORECASE)
)


def view_ddl(dialect: Dialect) -> list[str]:
    """Drop (dependents first) and create every view, so a changed definition or column set always applies."""
    defined = views(dialect)
    drops = [f"DROP VIEW IF EXISTS {v.name}" for v in reversed(defined)]
    return drops + [f"CREATE VIEW {v.name} AS\n{v.select_sql}" for v in defined]


@functools.cache
def views_fingerprint(dialect: Dialect) -> str:
    """Changes whenever the view DDL for ``dialect`` would (stored by init, compared by the next one).

    The DDL is a function of views.sql, this module (the rewrites per engine), sqlglot's version and the
    dialect: their digest, so checking a current warehouse needs no transpiling.
    """
    digest = hashlib.sha256()
    for part in (VIEWS_SQL, Path(__file__).read_text(encoding="utf-8"), metadata.version("sqlglot"), dialect):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()

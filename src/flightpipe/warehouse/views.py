"""The analytics views: one definition (views.sql, DuckDB dialect), transpiled to each engine with sqlglot."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources

import sqlglot
from sqlglot import exp

from flightpipe.warehouse.ddl import Dialect

VIEWS_SQL = resources.files("flightpipe.warehouse").joinpath("views.sql").read_text(encoding="utf-8")

#: sqlglot's names for our dialects.
_SQLGLOT_DIALECT: dict[Dialect, str] = {"duckdb": "duckdb", "postgres": "postgres", "redshift": "redshift"}


@dataclass(frozen=True, slots=True)
class View:
    name: str
    select_sql: str


def transpile(sql: str, dialect: Dialect) -> str:
    """One DuckDB-dialect statement in ``dialect``."""
    return for_engine(sqlglot.parse_one(sql, read="duckdb"), dialect).sql(dialect=_SQLGLOT_DIALECT[dialect])


def for_engine(expression: exp.Expr, dialect: Dialect) -> exp.Expr:
    """``expression`` rewritten where sqlglot's output would not run on ``dialect``.

    Redshift documents ``AT TIME ZONE`` with a literal zone only, and sqlglot keeps a column there (``ts AT TIME
    ZONE a.tz``); its documented form for a zone per row is ``CONVERT_TIMEZONE('UTC', zone, ts)`` (our
    timestamps are UTC), which gives the same local timestamp.
    """
    if dialect != "redshift":
        return expression

    def convert(node: exp.Expr) -> exp.Expr:
        zone = node.args.get("zone")
        if isinstance(node, exp.AtTimeZone) and not isinstance(zone, exp.Literal):
            return exp.ConvertTimezone(source_tz=exp.Literal.string("UTC"), target_tz=zone, timestamp=node.this)
        return node

    return expression.transform(convert)


@functools.cache
def views(dialect: Dialect) -> tuple[View, ...]:
    """The views in dependency order (a view only reads views defined before it)."""
    found = []
    for statement in sqlglot.parse(VIEWS_SQL, read="duckdb"):
        if not isinstance(statement, exp.Create) or statement.kind != "VIEW":
            raise ValueError(f"views.sql may only create views, found: {statement!r:.80}")
        select = statement.expression
        assert select is not None
        rendered = for_engine(select, dialect).sql(dialect=_SQLGLOT_DIALECT[dialect], pretty=True)
        found.append(View(statement.this.name, rendered))
    return tuple(found)


VIEW_NAMES = tuple(v.name for v in views("duckdb"))


def view_ddl(dialect: Dialect) -> list[str]:
    """Drop (dependents first) and create every view, so a changed definition or column set always applies."""
    defined = views(dialect)
    drops = [f"DROP VIEW IF EXISTS {v.name}" for v in reversed(defined)]
    return drops + [f"CREATE VIEW {v.name} AS\n{v.select_sql}" for v in defined]


def views_fingerprint(dialect: Dialect) -> str:
    """Changes whenever the view DDL for ``dialect`` would (stored by init, compared by the next one)."""
    return hashlib.sha256("\n;\n".join(view_ddl(dialect)).encode()).hexdigest()

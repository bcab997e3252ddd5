"""Codeshares whose operator record is quarantined: they are quarantined with it.

Only the operator knows whether and when its flight moved (status, gate and runway times). A marketing
(codeshare) record that outlives its operator's record would rebuild the flight from the marketing carrier's
fields: null or stale times, a wrong status, a flight the operator's own record says is broken. So a codeshare
record is quarantined whenever the record of its operating flight, in the same raw file (the board and the
collection that listed both), is quarantined: by the normaliser (the source's reader) or by a fail-level
record rule of the transform stage. Its reason starts with :data:`OPERATOR_QUARANTINED`.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.core.arrays import flat

#: The first word of the reason of a codeshare record quarantined because its operator's record is.
OPERATOR_QUARANTINED = "operator_quarantined"

#: The quality rule such a record is counted under: a codeshare must name a usable operating flight (the rule of
#: a codeshare with no operator record at all).
OPERATOR_QUARANTINED_RULE = "required_keys"

REASON = f"{OPERATOR_QUARANTINED}: the operating flight's own record is in quarantine"


def operator_quarantined(rows: pa.Table, quarantined: pa.Array) -> pa.Array:
    """Per row of ``rows`` (NORMALISED_SCHEMA columns): a codeshare record, not itself in ``quarantined``, whose
    operating flight is the flight of a quarantined operator record of ``rows``.

    The flight is the physical-flight key: flight date, flight number (IATA, else ICAO) and departure airport;
    for a codeshare record its ``operating_*`` number, for an operator record its own. Only records of the same
    raw file (``raw_key``) are matched, so ``rows`` may hold several files' records."""
    quarantined = pc.fill_null(quarantined, False)
    is_codeshare = pc.fill_null(rows.column("is_codeshare"), False)
    gone_operators = pc.and_(quarantined, pc.invert(is_codeshare))
    if not pc.any(gone_operators).as_py():
        # The usual case, no operator record quarantined: no flight keys to build (two joins over every row).
        return pc.and_(gone_operators, False)
    raw_file = rows.column("raw_key")
    date = pc.cast(rows.column("flight_date"), pa.string())
    airport = rows.column("dep_airport_icao")
    own = pc.binary_join_element_wise(
        raw_file, date, pc.coalesce(rows.column("flight_iata"), rows.column("flight_icao")), airport, "|"
    )
    operating = pc.binary_join_element_wise(
        raw_file,
        date,
        pc.coalesce(rows.column("operating_flight_iata"), rows.column("operating_flight_icao")),
        airport,
        "|",
    )
    gone = pc.filter(own, gone_operators)
    gone = pc.drop_null(gone)
    hit = pc.fill_null(pc.is_in(operating, value_set=flat(gone)), False)
    return pc.and_(pc.and_(is_codeshare, hit), pc.invert(quarantined))


def with_orphaned_codeshares(
    rows: pa.Table, failed: pa.Array, rule: pa.Array, reason: pa.Array
) -> tuple[pa.Array, pa.Array, pa.Array, int]:
    """A per-row verdict (broken, rule, reason) over typed ``rows`` extended by the codeshare records whose
    operator record it breaks; and how many were added."""
    orphaned = operator_quarantined(rows, failed)
    added = int(pc.sum(pc.cast(orphaned, pa.int64())).as_py() or 0)
    if not added:
        return failed, rule, reason, 0
    return (
        pc.or_(pc.fill_null(failed, False), orphaned),
        pc.if_else(orphaned, pa.scalar(OPERATOR_QUARANTINED_RULE), rule),
        pc.if_else(orphaned, pa.scalar(REASON), reason),
        added,
    )

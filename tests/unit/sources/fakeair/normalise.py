"""fakeair's record format: ``{"flights": [{number, from, to, departs}]}``; a record without number is rejected."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.core.schema import NORMALISED_SCHEMA
from flightpipe.sources.normalising import REQUIRED_KEYS, BoardContext, Normalised, assemble, code, constant, lineage

FORMAT = "fakeair"
RECORD_TYPE = pa.struct([("number", pa.string()), ("from", pa.string()), ("to", pa.string()), ("departs", pa.int64())])
UNFILLED_COLUMNS = frozenset({"dep_gate", "arr_gate"})


def normalise(records: pa.StructArray, ctx: BoardContext) -> Normalised:
    n = len(records)
    columns = {f.name: pa.nulls(n, f.type) for f in NORMALISED_SCHEMA}
    number = code(pc.struct_field(records, "number"))
    departs = pc.cast(pc.multiply(pc.struct_field(records, "departs"), 1_000_000), pa.timestamp("us", tz="UTC"))
    columns.update(
        {
            "flight_date": pc.cast(departs, pa.date32()),
            "flight_iata": number,
            "airline_iata": constant("FA", n, pa.string()),
            "is_codeshare": constant(False, n, pa.bool_()),
            "operating_flight_iata": number,
            "dep_airport_icao": code(pc.struct_field(records, "from")),
            "arr_airport_icao": code(pc.struct_field(records, "to")),
            "dep_scheduled_utc": departs,
            "status": constant("scheduled", n, pa.string()),
        }
    )
    lineage(columns, ctx, n)
    reasons = [(pc.is_null(number), "number missing")]
    return assemble(columns, reasons, n, [(pc.is_null(number), REQUIRED_KEYS)])

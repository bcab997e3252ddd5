"""Every quality rule, declared in one place.

Record rules work on TRANSFORMED_SCHEMA columns after a source's normaliser has run, so they apply to every
source alike; each is a handful of pyarrow.compute calls over whole columns (transform's speed is
benchmarked). Dataset rules get the facts of one partition (:mod:`flightpipe.quality.facts`).

The order of ``RECORD_RULES`` matters: a row breaking several fail-level rules is quarantined under the first.
docs/quality.md lists these rules; ``tests/unit/quality/test_quality_rules.py`` checks each at its edges.
"""

from __future__ import annotations

import statistics

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.core.arrays import flat
from flightpipe.quality.api import (
    MAX_EXAMPLES,
    PARSE_RULE,
    Kind,
    Level,
    RecordCheck,
    Rule,
    RuleConfig,
    RuleResult,
    Scope,
    Threshold,
    dataset_rule,
    record_rule,
)
from flightpipe.quality.facts import BoardFacts, FlightDateFacts, NullCounts
from flightpipe.quality.segments import (
    Offsets,
    file_index,
    first_of_each,
    offsets_of,
    positions_array,
    split_by_file,
    sums_by_file,
)
from flightpipe.reference.airports import ICAO_CODE, UNKNOWN_AIRPORT_ICAO
from flightpipe.sources.formats import counterpart_times_optional, unfilled_columns

_S = pa.string()
_US_PER_MINUTE = 60_000_000
_US_PER_DAY = 86_400_000_000

# --------------------------------------------------------------------------------------------- record rules

#: Checked while a source's records are read (by its normaliser), before any typed row exists: a record of
#: the wrong shape, a corrupt raw file, a record on the wrong board. Always fail; not configurable.
PARSE = Rule(
    name=PARSE_RULE,
    kind=Kind.RECORD,
    scopes=(Scope.BOARD,),
    level=Level.FAIL,
    summary="the record can be read: an object of the source's format, on the board it was fetched for "
    "(a raw file that is not valid JSON is quarantined whole)",
    fires="the record is in quarantine with the reader's reason, e.g. `record does not match the format: ...`, "
    "`record does not belong to the departures board of EDDF`, `corrupt raw file: ...`",
    check=None,
    levels=(Level.FAIL,),
    can_turn_off=False,
    fixed_because="a record that cannot be read cannot become a row",
)


@record_rule(
    "required_keys",
    level=Level.FAIL,
    summary="flight date, flight number (IATA or ICAO), departure and arrival airport (ICAO) are present; "
    "a codeshare record names its operating flight",
    fires="the record is in quarantine: `flight number missing (flight.iata and flight.icao)`, "
    "`arrival.icao missing`, `flight_date missing or not YYYY-MM-DD`, ...",
    fixed_because="a row without its flight date, flight number or airports has no key to be deduplicated on",
)
def required_keys(rows: pa.Table, config: RuleConfig) -> RecordCheck:
    # The aviationstack normaliser already rejects these while reading (under this rule's name); this is the
    # same promise for every other source's rows.
    conditions = [
        (
            pc.and_(pc.is_null(rows["flight_iata"]), pc.is_null(rows["flight_icao"])),
            "flight number missing (flight_iata and flight_icao)",
        ),
        (pc.is_null(rows["dep_airport_icao"]), "departure airport missing (dep_airport_icao)"),
        (pc.is_null(rows["arr_airport_icao"]), "arrival airport missing (arr_airport_icao)"),
    ]
    return _first_of(conditions, rows.num_rows)


#: (column, pattern, what a good value is). ICAO airport codes as config.py accepts them.
_CODE_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("dep_airport_icao", ICAO_CODE.pattern, "an ICAO airport code (4 letters)"),
    ("arr_airport_icao", ICAO_CODE.pattern, "an ICAO airport code (4 letters)"),
    ("dep_airport_iata", r"^[A-Z]{3}$", "an IATA airport code (3 letters)"),
    ("arr_airport_iata", r"^[A-Z]{3}$", "an IATA airport code (3 letters)"),
    ("airline_iata", r"^[A-Z0-9]{2}$", "an IATA airline code (2 letters or digits)"),
    ("operating_airline_iata", r"^[A-Z0-9]{2}$", "an IATA airline code (2 letters or digits)"),
    ("airline_icao", r"^[A-Z]{3}$", "an ICAO airline code (3 letters)"),
    ("operating_airline_icao", r"^[A-Z]{3}$", "an ICAO airline code (3 letters)"),
    ("flight_iata", r"^[A-Z0-9]{2}[0-9]{1,5}[A-Z]?$", "an IATA flight number (airline code, 1-5 digits)"),
    ("operating_flight_iata", r"^[A-Z0-9]{2}[0-9]{1,5}[A-Z]?$", "an IATA flight number (airline code, 1-5 digits)"),
    # ICAO flight ids are call signs: airline code and up to 5 letters or digits ("DLH4AB"; real aviationstack
    # data has bare operator codes such as "PVD" for charters).
    ("flight_icao", r"^[A-Z]{3}[0-9A-Z]{0,5}$", "an ICAO flight id (airline code, up to 5 letters or digits)"),
    (
        "operating_flight_icao",
        r"^[A-Z]{3}[0-9A-Z]{0,5}$",
        "an ICAO flight id (airline code, up to 5 letters or digits)",
    ),
)


@record_rule(
    "codes_well_formed",
    level=Level.FAIL,
    summary="airport codes are ICAO (4 letters) and IATA (3 letters); airline codes IATA (2 letters or digits) "
    "and ICAO (3 letters); IATA flight numbers an airline code and 1-5 digits, ICAO flight ids an airline code "
    "and up to 5 letters or digits (missing optional codes are fine)",
    fires="the record is in quarantine: `dep_airport_icao 'EDD' is not an ICAO airport code (4 letters)`",
)
def codes_well_formed(rows: pa.Table, config: RuleConfig) -> RecordCheck:
    conditions = []
    for column, pattern, meaning in _CODE_PATTERNS:
        values = rows[column]
        # null (an optional code that is absent) matches nothing and stays null: not a violation
        conditions.append((values, _mismatches(values, pattern), column, meaning))
    flags = [bad for _, bad, _, _ in conditions]
    if not _any(flags):
        return RecordCheck(_none(rows.num_rows), "")
    detailed = [
        (bad, pc.binary_join_element_wise(f"{column} '", values, f"' is not {meaning}", ""))
        for values, bad, column, meaning in conditions
    ]
    return _first_of(detailed, rows.num_rows)


def _mismatches(values: pa.Array | pa.ChunkedArray, pattern: str) -> pa.Array:
    """Per value, whether it does not match ``pattern`` (null stays null). Each distinct value is matched once:
    codes repeat (a board has a few dozen airlines and airports), and hashing is cheaper than the regex."""
    encoded = pc.dictionary_encode(flat(values))
    return pc.take(pc.invert(pc.match_substring_regex(encoded.dictionary, pattern)), encoded.indices)


_TIMESTAMP_COLUMNS = tuple(
    f"{side}_{kind}_utc" for side in ("dep", "arr") for kind in ("scheduled", "estimated", "actual", "runway")
)


#: How far any time of a record may lie from its collection day, in years. Only a guard against overflow: later
#: stages compute with these values (differences in microseconds as float64, local dates), which a year 1 or
#: 9999 overflows; ``timestamps_parse`` checks the times against the flight date closely.
DATE_WINDOW_TIME_YEARS = 100

#: The collection date, as the raw key names it (raw/<ICAO>/<YYYY-MM-DD>/...).
_COLLECTION_DATE_IN_KEY = r"^raw/[^/]+/(?P<day>\d{4}-\d{2}-\d{2})/"


@record_rule(
    "dates_in_window",
    level=Level.FAIL,
    threshold=Threshold(
        default=3.0,
        minimum=2.0,
        maximum=366.0,
        meaning="days the flight date may lie before or after the collection day of its board (a board holds "
        "flights of the day before to two days after its own day)",
    ),
    summary="the flight date lies within the threshold (days) of the board's collection day, and every time "
    f"within {DATE_WINDOW_TIME_YEARS} years of it (a record dated 2020 on a 2026 board, or 0001/9999, is not "
    "that board's flight); checked before the other record rules",
    fires="the record is in quarantine: `flight date 2020-01-01 is more than 3 days from the collection day "
    "2026-06-08`, `a time lies more than 100 years from the collection day 2026-06-08`",
    fixed_because="a date far from its board's day would load into the wrong flight date, and years such as "
    "0001 or 9999 overflow later stages",
)
def dates_in_window(rows: pa.Table, config: RuleConfig) -> RecordCheck:
    days = int(config.threshold or 0)
    n = rows.num_rows
    if n == 0:
        return RecordCheck(_none(0), "")
    day_text = pc.struct_field(pc.extract_regex(rows["raw_key"], _COLLECTION_DATE_IN_KEY), "day")
    collection_day = pc.cast(day_text, pa.date32())
    day_number = pc.cast(collection_day, pa.int32())
    flight_offset = pc.subtract(pc.cast(rows["flight_date"], pa.int32()), day_number)
    # Every time as whole days since the epoch: an integer division, which overflows for no timestamp.
    day_start = pc.multiply(pc.cast(day_number, pa.int64()), _US_PER_DAY)
    time_margin = DATE_WINDOW_TIME_YEARS * 366 * _US_PER_DAY
    times_out = [
        pc.or_(
            pc.less(pc.cast(rows[c], pa.int64()), pc.subtract(day_start, time_margin)),
            pc.greater(pc.cast(rows[c], pa.int64()), pc.add(day_start, time_margin + _US_PER_DAY)),
        )
        for c in _TIMESTAMP_COLUMNS
    ]
    flight_out = pc.greater(pc.abs(flight_offset), days)
    if not _any([flight_out, *times_out]):  # the usual case: no reason to spell out for every row
        return _first_of([(flight_out, ""), *((out, "") for out in times_out)], n)
    flight_reason = pc.binary_join_element_wise(
        "flight date ",
        pc.cast(rows["flight_date"], _S),
        f" is more than {days} days from the collection day ",
        day_text,
        "",
    )
    time_reason = pc.binary_join_element_wise(
        f"a time lies more than {DATE_WINDOW_TIME_YEARS} years from the collection day ", day_text, ""
    )
    return _first_of([(flight_out, flight_reason), *((out, time_reason) for out in times_out)], n)


@record_rule(
    "timestamps_parse",
    level=Level.FAIL,
    threshold=Threshold(
        default=3.0,
        minimum=1.0,
        maximum=30.0,
        meaning="days a time may lie before or after its flight date (a wrong year or an epoch-zero time "
        "parses, but is not the flight's time)",
    ),
    summary="every time field parses as a timestamp in the airport's time zone, and lies within the threshold "
    "(days) of the flight date",
    fires="the record is in quarantine: `departure.scheduled is not a timestamp`, "
    "`no known time zone for the arrival airport`, `a time lies more than 3 days from the flight date`",
    fixed_because="a time that does not parse cannot be stored as a UTC timestamp",
)
def timestamps_parse(rows: pa.Table, config: RuleConfig) -> RecordCheck:
    days = config.threshold or 0.0
    if rows.num_rows == 0:
        return RecordCheck(_none(0), "")
    micros = [pc.cast(rows[c], pa.int64()) for c in _TIMESTAMP_COLUMNS]
    earliest = pc.min_element_wise(*micros, skip_nulls=True)
    latest = pc.max_element_wise(*micros, skip_nulls=True)
    day_start = pc.cast(pc.cast(rows["flight_date"], pa.timestamp("us", tz="UTC")), pa.int64())
    margin = int(days * _US_PER_DAY)
    too_early = pc.less(earliest, pc.subtract(day_start, margin))
    too_late = pc.greater(latest, pc.add(day_start, margin + _US_PER_DAY))
    return RecordCheck(
        pc.or_(_false_if_null(too_early), _false_if_null(too_late)),
        f"a time lies more than {days:g} days from the flight date",
    )


@record_rule(
    "arrival_after_departure",
    level=Level.FAIL,
    summary="the scheduled arrival is after the scheduled departure, the actual (gate) arrival after the actual "
    "(gate) departure and the landing after the take-off (where both are known): like with like, never a gate "
    "time against a runway time",
    fires="the record is in quarantine: `scheduled arrival is not after scheduled departure`",
)
def arrival_after_departure(rows: pa.Table, config: RuleConfig) -> RecordCheck:
    conditions = [
        (
            pc.less_equal(rows["arr_scheduled_utc"], rows["dep_scheduled_utc"]),
            "scheduled arrival is not after scheduled departure",
        ),
        (
            pc.less_equal(rows["arr_actual_utc"], rows["dep_actual_utc"]),
            "actual arrival is not after actual departure",
        ),
        (
            pc.less_equal(rows["arr_runway_utc"], rows["dep_runway_utc"]),
            "landing is not after take-off",
        ),
    ]
    return _first_of(conditions, rows.num_rows)


@record_rule(
    "delay_consistent",
    level=Level.FAIL,
    threshold=Threshold(
        default=15.0,
        minimum=0.0,
        maximum=1440.0,
        meaning="minutes a reported delay may differ from actual minus scheduled",
    ),
    summary="a reported delay (departure or arrival) equals the actual gate time minus the scheduled time "
    "within the threshold (minutes); checked where delay, actual and scheduled time are all known (a runway "
    "time is never compared with a delay: delays count gate times)",
    fires="the record is in quarantine: `departure delay 90 min, but actual - scheduled is 5 min`",
)
def delay_consistent(rows: pa.Table, config: RuleConfig) -> RecordCheck:
    tolerance = config.threshold or 0.0
    conditions = []
    for prefix, label in (("dep", "departure"), ("arr", "arrival")):
        delay = pc.cast(rows[f"{prefix}_delay_min"], pa.float64())
        elapsed = pc.divide(
            pc.cast(
                pc.cast(pc.subtract(rows[f"{prefix}_actual_utc"], rows[f"{prefix}_scheduled_utc"]), pa.int64()),
                pa.float64(),
            ),
            float(_US_PER_MINUTE),
        )
        # A delay counts minutes late: an early movement has delay 0 (or none), not a negative one.
        elapsed = pc.max_element_wise(elapsed, 0.0, skip_nulls=False)
        bad = pc.greater(pc.abs(pc.subtract(delay, elapsed)), tolerance)
        conditions.append((bad, delay, elapsed, label))
    if not _any([bad for bad, _, _, _ in conditions]):
        return RecordCheck(_none(rows.num_rows), "")
    detailed = [
        (
            bad,
            pc.binary_join_element_wise(
                f"{label} delay ",
                pc.cast(pc.cast(delay, pa.int64()), _S),
                " min, but actual - scheduled is ",
                pc.cast(pc.cast(pc.round(elapsed), pa.int64()), _S),
                " min",
                "",
            ),
        )
        for bad, delay, elapsed, label in conditions
    ]
    return _first_of(detailed, rows.num_rows)


@record_rule(
    "status_known",
    level=Level.WARN,
    summary="the source's status maps onto the vocabulary (scheduled, active, landed, cancelled, diverted, "
    "incident); anything else is stored as `unknown`",
    fires="warn: the record is kept with status `unknown` and counted; at level fail it goes to quarantine",
)
def status_known(rows: pa.Table, config: RuleConfig) -> RecordCheck:
    return RecordCheck(
        _false_if_null(pc.equal(rows["status"], "unknown")),
        "status is not in the vocabulary (stored as unknown)",
    )


@record_rule(
    "zone_agrees",
    level=Level.WARN,
    summary="the time zone a record names gives its scheduled times the same instants as the airport database's "
    "zone (the one flightpipe uses, everywhere); counted where both are known",
    fires="warn: the record is kept, converted with the airport database's zone, and counted "
    "(`the record's time zone and the airport's differ by 60 min at the scheduled time`)",
)
def zone_agrees(rows: pa.Table, config: RuleConfig) -> RecordCheck:
    gap = rows["zone_disagreement_min"]
    return RecordCheck(
        _false_if_null(pc.greater(gap, 0)),
        pc.binary_join_element_wise(
            "the record's time zone and the airport's differ by ",
            pc.cast(gap, _S),
            " min at the scheduled time",
            "",
        ),
    )


@record_rule(
    "airports_known",
    level=Level.WARN,
    summary="both airports of the flight are known; one the source could not name (the other end of an OpenSky "
    f"track OpenSky could not estimate, an AeroDataBox airport given by name only) is stored as "
    f"`{UNKNOWN_AIRPORT_ICAO}`",
    fires=f"warn: the record is kept with the airport `{UNKNOWN_AIRPORT_ICAO}` and counted "
    f"(`arrival airport unknown ({UNKNOWN_AIRPORT_ICAO})`); at level fail it goes to quarantine",
)
def airports_known(rows: pa.Table, config: RuleConfig) -> RecordCheck:
    return _first_of(
        [
            (
                pc.equal(rows[f"{side}_airport_icao"], UNKNOWN_AIRPORT_ICAO),
                f"{word} airport unknown ({UNKNOWN_AIRPORT_ICAO})",
            )
            for side, word in (("dep", "departure"), ("arr", "arrival"))
        ],
        rows.num_rows,
    )


#: In order: a row that breaks several fail-level rules is quarantined under the first.
RECORD_RULES: tuple[Rule, ...] = (
    PARSE,
    dates_in_window,
    required_keys,
    timestamps_parse,
    codes_well_formed,
    arrival_after_departure,
    delay_consistent,
    status_known,
    zone_agrees,
    airports_known,
)

# --------------------------------------------------------------------------------------------- dataset rules

#: Volumes of this many earlier same weekdays are needed before the band is judged.
MIN_VOLUME_HISTORY = 3
#: How many earlier weeks the band looks back at ("trailing" history of the same weekday).
VOLUME_HISTORY_WEEKS = 7
#: Key columns whose share of nulls is watched (the key itself is guaranteed by required_keys).
NULL_SHARE_COLUMNS = ("flight_iata", "airline_iata", "dep_scheduled_utc", "arr_scheduled_utc")


@dataset_rule(
    "board_collected",
    scopes=(Scope.BOARD,),
    level=Level.FAIL,
    summary="every configured airport and board has a readable raw file for the day",
    fires="fail: `EDDF arrivals 2026-06-08 was not collected` (or its raw file is corrupt); that airport's side "
    "of the flight dates it feeds is not loaded",
)
def board_collected(facts: BoardFacts, config: RuleConfig) -> RuleResult:
    label = facts.partition.label
    if facts.raw_key is None:
        return config.fired(f"{label} was not collected (no raw file; see `flightpipe runs`)", files=0)
    if facts.corrupt_reason is not None:
        return config.fired(
            f"{label}: the latest raw file is corrupt and was quarantined whole: {facts.corrupt_reason}",
            examples=[facts.raw_key],
            files=1,
        )
    return config.passed(f"{label} collected: {facts.records_in} records in {facts.raw_key}", files=1)


@dataset_rule(
    "volume_band",
    scopes=(Scope.BOARD,),
    level=Level.FAIL,
    threshold=Threshold(
        default=0.4,
        minimum=0.05,
        maximum=0.95,
        meaning="the largest drop (share of the median) that still passes; the band is median x (1 - t) to "
        "median / (1 - t), so 0.4 fails a 40% drop and a rise to 167%",
    ),
    summary=f"the board's record count is within the band around the median of the same weekday in the trailing "
    f"{VOLUME_HISTORY_WEEKS} weeks (needs {MIN_VOLUME_HISTORY} earlier same weekdays, else skipped)",
    fires="fail: `EDDF departures 2026-06-08: 120 records, 45% below the median 218 of the last 3 Mondays`",
)
def volume_band(facts: BoardFacts, config: RuleConfig) -> RuleResult:
    drop = config.threshold or 0.0
    records = facts.records_in
    weekday = facts.partition.date.strftime("%A")
    if not facts.collected:
        return config.skipped("no volume: the board was not collected")
    history = [volume for _, volume in facts.history]
    if len(history) < MIN_VOLUME_HISTORY:
        return config.skipped(
            f"not enough history: {len(history)} earlier {weekday}s (needs {MIN_VOLUME_HISTORY}); "
            f"{records} records kept as history for later runs",
            records=records,
            history=len(history),
        )
    median = float(statistics.median(history))
    counts = {"records": float(records), "median": median, "history": float(len(history))}
    where = f"the median {median:g} of the last {len(history)} {weekday}s"
    if median == 0:
        if records == 0:
            return config.passed(f"{records} records, as {where}", counts=counts)
        return config.fired(f"{records} records where {where} is 0", counts=counts)
    ratio = records / median
    # A rounding hair must not turn "exactly a 40% drop" into a pass.
    if ratio <= (1 - drop) + 1e-9:
        return config.fired(f"{records} records, {1 - ratio:.0%} below {where}", counts=counts)
    if ratio >= 1 / (1 - drop) - 1e-9:
        return config.fired(f"{records} records, {ratio - 1:.0%} above {where}", counts=counts)
    return config.passed(f"{records} records, {ratio:.0%} of {where}", counts=counts)


@dataset_rule(
    "null_share",
    scopes=(Scope.BOARD, Scope.FLIGHT_DATE),
    level=Level.FAIL,
    threshold=Threshold(
        default=0.10,
        minimum=0.0,
        maximum=1.0,
        meaning="the largest share of nulls a key column may have",
    ),
    summary=f"no key column ({', '.join(NULL_SHARE_COLUMNS)}) is null in more than the threshold share of "
    "rows, in each board's rows and in each processed flight date (a flight known by its ICAO number alone has "
    "its number; for AeroDataBox, whose default answer has only the board's own times, a side's scheduled time "
    "is judged on the rows that side's board saw)",
    fires="fail: `arr_scheduled_utc is null in 12.0% of 500 rows (more than 10%)`",
)
def null_share(facts: BoardFacts | FlightDateFacts, config: RuleConfig) -> RuleResult:
    limit = config.threshold or 0.0
    counted = _null_counts_of(facts)
    if counted.rows == 0:
        return config.skipped("no rows to check")
    sources = counted.sources
    # A column the rows' sources cannot fill at all (OpenSky has no schedule) is not judged by its nulls.
    columns = [c for c in NULL_SHARE_COLUMNS if not sources or not all(c in unfilled_columns(s) for s in sources)]
    if not columns:
        return config.skipped(f"the source ({', '.join(sources)}) fills none of the key columns")
    judged = {column: counted.judged[column] for column in columns}
    shares = {column: (nulls / judged_rows if judged_rows else 0.0) for column, (nulls, judged_rows) in judged.items()}
    counts = {f"null_{column}": float(nulls) for column, (nulls, _) in judged.items()}
    worst = max(shares, key=lambda column: shares[column])
    counts.update(rows=float(counted.rows), share=shares[worst])
    broken = [column for column, share in shares.items() if share > limit + 1e-12]
    if broken:
        detail = [f"{column}: {shares[column]:.1%}" for column in broken]
        return config.fired(
            f"{worst} is null in {shares[worst]:.1%} of {counted.rows} rows (more than {limit:.0%})",
            examples=detail,
            counts=counts,
        )
    return config.passed(f"at most {shares[worst]:.1%} nulls ({worst}) in {counted.rows} rows", counts=counts)


def null_counts(rows: pa.Table) -> NullCounts:
    """What ``null_share`` reads of ``rows`` (transformed or processed): their sources, and per key column the
    nulls and the rows judged."""
    [counted] = null_counts_by_file(rows, offsets_of([rows.num_rows]))
    return counted


def null_counts_by_file(rows: pa.Table, offsets: Offsets) -> list[NullCounts]:
    """:func:`null_counts` of each file whose rows ``rows`` holds (``quality.segments``), counted at once."""
    sizes = np.diff(offsets).tolist()
    if rows.num_rows == 0:
        return [NullCounts(0, [], {}) for _ in sizes]
    # Unthreaded: the (file, source) pairs come in the order of first appearance, as pc.unique gives them.
    pairs = (
        pa.table({"file": file_index(offsets), "source": rows["source"]})
        .group_by(["file", "source"], use_threads=False)
        .aggregate([])
    )
    sources: list[list[str]] = [[] for _ in sizes]
    for file, source in zip(pairs["file"].to_pylist(), pairs["source"].to_pylist(), strict=True):
        if source is not None:
            sources[file].append(source)
    # A row's source is one of its file's sources, so the optional ones of all files judge it as its file's would.
    optional = [s for s in dict.fromkeys(s for of_file in sources for s in of_file) if counterpart_times_optional(s)]
    judged = {column: _judged_nulls(rows, column, optional, offsets) for column in NULL_SHARE_COLUMNS}
    return [
        NullCounts(size, sources[i], {column: judged[column][i] for column in NULL_SHARE_COLUMNS})
        if size
        else NullCounts(0, [], {})
        for i, size in enumerate(sizes)
    ]


def _null_counts_of(facts: BoardFacts | FlightDateFacts) -> NullCounts:
    if isinstance(facts, BoardFacts):
        return facts.counts.nulls if facts.counts is not None else null_counts(facts.table)
    return null_counts(facts.rows)


#: A flight known only by its ICAO number (an airline without an IATA code) is no missing flight number.
_ALTERNATIVES = {"flight_iata": "flight_icao"}
#: The board that sees a side's times, and the processed column that says a flight was seen there.
_SEEN_ON = {
    "dep_scheduled_utc": ("departures", "seen_on_departures"),
    "arr_scheduled_utc": ("arrivals", "seen_on_arrivals"),
}


def _judged_nulls(rows: pa.Table, column: str, optional: list[str], offsets: Offsets) -> list[tuple[int, int]]:
    """Per file, (nulls, rows judged) of a key column, as ``null_share`` counts them.

    Rows of a source whose records may leave the other side's times out (AeroDataBox's default shape) are judged
    on a side's scheduled time only where a board of that side saw them (``optional``: those of the rows' sources).
    """
    missing = pc.is_null(rows[column])
    alternative = _ALTERNATIVES.get(column)
    if alternative is not None:
        missing = pc.and_(missing, pc.is_null(rows[alternative]))
    if column not in _SEEN_ON or not optional:
        return list(zip(sums_by_file(missing, offsets), np.diff(offsets).tolist(), strict=True))
    board, seen = _SEEN_ON[column]
    # transformed rows name their board; processed rows say which boards saw them
    seen_there = pc.equal(rows["board"], board) if "board" in rows.column_names else rows[seen]
    judged = pc.fill_null(pc.or_(pc.invert(pc.is_in(rows["source"], value_set=pa.array(optional))), seen_there), True)
    return list(zip(sums_by_file(pc.and_(missing, judged), offsets), sums_by_file(judged, offsets), strict=True))


@dataset_rule(
    "quarantine_share",
    scopes=(Scope.BOARD,),
    level=Level.FAIL,
    threshold=Threshold(
        default=0.05,
        minimum=0.0,
        maximum=1.0,
        meaning="the largest share of a board's records that may be quarantined",
    ),
    summary="no more than the threshold share of a board's records went to quarantine",
    fires="fail: `12 of 200 records quarantined (6.0%, more than 5%): required_keys 10, codes_well_formed 2`",
)
def quarantine_share(facts: BoardFacts, config: RuleConfig) -> RuleResult:
    limit = config.threshold or 0.0
    if not facts.collected or facts.records_in == 0:
        return config.skipped("no records to judge")
    share = facts.quarantined / facts.records_in
    by_rule = ", ".join(f"{rule} {count}" for rule, count in sorted(facts.quarantined_by_rule.items()))
    counts = {"quarantined": float(facts.quarantined), "records": float(facts.records_in), "share": share}
    text = f"{facts.quarantined} of {facts.records_in} records quarantined ({share:.1%}"
    if share > limit + 1e-12:
        return config.fired(f"{text}, more than {limit:.0%}): {by_rule}", counts=counts)
    return config.passed(f"{text})" + (f": {by_rule}" if by_rule else ""), counts=counts)


@dataset_rule(
    "duplicate_records",
    scopes=(Scope.BOARD,),
    level=Level.WARN,
    threshold=Threshold(
        default=0.0,
        minimum=0.0,
        maximum=1.0,
        meaning="the largest share of a board's records that may repeat another record of the same board",
    ),
    summary="a board does not list the same flight (flight date, flight number, departure airport) twice; "
    "process keeps one, and the count is reported",
    fires="warn: `3 of 400 records repeat another record of this board (dedup keeps one)`",
)
def duplicate_records(facts: BoardFacts, config: RuleConfig) -> RuleResult:
    limit = config.threshold or 0.0
    rows = facts.row_count
    if rows == 0:
        return config.skipped("no rows to check")
    duplicates, repeated = (
        (facts.counts.duplicates, facts.counts.repeated) if facts.counts is not None else duplicate_counts(facts.table)
    )
    share = duplicates / rows
    counts = {"duplicates": float(duplicates), "records": float(rows), "share": share}
    if share > limit + 1e-12:
        return config.fired(
            f"{duplicates} of {rows} records repeat another record of this board (dedup keeps one)",
            examples=repeated,
            counts=counts,
        )
    return config.passed(f"{duplicates} repeated records in {rows}", counts=counts)


def duplicate_counts(rows: pa.Table) -> tuple[int, list[str]]:
    """What ``duplicate_records`` reads of a board's ``rows``: how many repeat another row (same flight date,
    flight number, departure airport), and the first MAX_EXAMPLES repeated keys."""
    [counted] = duplicate_counts_by_file(rows, offsets_of([rows.num_rows]))
    return counted


def duplicate_counts_by_file(rows: pa.Table, offsets: Offsets) -> list[tuple[int, list[str]]]:
    """:func:`duplicate_counts` of each file whose rows ``rows`` holds (``quality.segments``), grouped at once:
    the file is part of the key, so a row repeats only rows of its own file."""
    keys = pa.table(
        {
            "file": file_index(offsets),
            "flight_date": rows["flight_date"],
            "flight": pc.coalesce(rows["flight_iata"], rows["flight_icao"]),
            "dep": rows["dep_airport_icao"],
        }
    )
    # Unthreaded: the groups come in the order of first appearance however the rows are chunked, so the
    # examples are the same from a stored file as from the table its transform just wrote.
    groups = keys.group_by(["file", "flight_date", "flight", "dep"], use_threads=False).aggregate([("flight", "count")])
    sizes = np.diff(offsets)
    distinct = np.bincount(groups["file"].to_numpy().astype(np.int64), minlength=len(sizes))
    repeated = groups.filter(pc.greater(groups["flight_count"], 1))
    file_of_repeated = repeated["file"].to_numpy().astype(np.int64)
    shown = first_of_each(file_of_repeated, MAX_EXAMPLES)
    examples = [
        f"{r['flight']} {r['flight_date']} from {r['dep']} x{r['flight_count']}"
        for r in repeated.take(positions_array(shown)).to_pylist()
    ]
    by_file = split_by_file(examples, file_of_repeated[shown], len(sizes))
    return [(int(sizes[i] - distinct[i]), by_file[i]) for i in range(len(sizes))]


@dataset_rule(
    "dedup_report",
    scopes=(Scope.FLIGHT_DATE,),
    level=Level.WARN,
    report_only=True,
    summary="report: observations read, flights written, duplicate observations merged by dedup (the two ends "
    "of a flight, re-collections, repeated records) and codeshare records collapsed into their operating flight",
    fires="never fires; `flightpipe check` shows "
    "`2210 observations -> 1630 flights: 140 duplicates merged, 440 codeshares collapsed`",
)
def dedup_report(facts: FlightDateFacts, config: RuleConfig) -> RuleResult:
    return config.passed(
        f"{facts.rows_in} observations -> {facts.rows.num_rows} flights: {facts.duplicates_merged} duplicates "
        f"merged, {facts.codeshares} codeshares collapsed",
        observations=facts.rows_in,
        flights=facts.rows.num_rows,
        duplicates_merged=facts.duplicates_merged,
        codeshares=facts.codeshares,
    )


DATASET_RULES: tuple[Rule, ...] = (
    board_collected,
    volume_band,
    null_share,
    quarantine_share,
    duplicate_records,
    dedup_report,
)

#: Every rule by name, record rules first, in the order results are shown.
RULES: dict[str, Rule] = {rule.name: rule for rule in (*RECORD_RULES, *DATASET_RULES)}


def rules_for(scope: Scope) -> list[Rule]:
    return [rule for rule in DATASET_RULES if scope in rule.scopes]


# --------------------------------------------------------------------------------------------- helpers


def _false_if_null(mask: pa.Array) -> pa.Array:
    return pc.fill_null(mask, False)


def _none(n: int) -> pa.Array:
    return pa.repeat(pa.scalar(False), n) if n else pa.array([], pa.bool_())


def _any(masks: list[pa.Array]) -> bool:
    return any(bool(pc.any(mask).as_py()) for mask in masks)


def _first_of(conditions: list[tuple[pa.Array, str | pa.Array]], n: int) -> RecordCheck:
    """One check from several conditions: a row breaks it when any holds; the reason is the first that does."""
    flags = [_false_if_null(mask) for mask, _ in conditions]
    violations = flags[0]
    for flag in flags[1:]:
        violations = pc.or_(violations, flag)
    if not pc.any(violations).as_py():
        return RecordCheck(violations, "")
    reason: pa.Array = pa.nulls(n, _S)
    for flag, (_, text) in zip(reversed(flags), reversed(conditions), strict=True):
        value = pa.scalar(text, _S) if isinstance(text, str) else text
        reason = pc.if_else(flag, value, reason)
    return RecordCheck(violations, reason)

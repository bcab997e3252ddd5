-- process: one row per physical flight, from every observation of it in the transformed layer.
--
-- Input:  the view `transformed_rows` (TRANSFORMED_SCHEMA), already limited to the flight dates to rebuild.
-- Output: PROCESSED_SCHEMA, one row per (flight_date, operating flight, departure airport).
--
-- This is the one definition of dedup. DuckDB runs it locally; the Glue job runs the same text on Spark SQL,
-- so it keeps to functions both engines have: row_number, min_by, max, count(DISTINCT), array_agg,
-- array_distinct, array_sort, coalesce, CASE.
--
-- Rules (DESIGN.md, "Data semantics"):
--   * a codeshare record is an observation of its operating flight, never a flight of its own; the marketing
--     numbers become `codeshare_flight_iatas`;
--   * departure facts come from the departure board, arrival facts from the arrival board; the other board's
--     view of a side is used only where the right board has nothing (field by field);
--   * among observations of the same kind, the newest wins, field by field where the newer one is null;
--   * ties are broken by the raw file (newer run id first) and the record's position in it, so every engine
--     picks the same row whatever order it reads the rows in;
--   * `min_by(x, CASE WHEN x IS NOT NULL THEN rank END)` is "the best-ranked non-null x" on both engines
--     (DuckDB's arg_min skips null values but Spark's does not, so the CASE makes the rule explicit).
--
-- The window functions rank narrow rows (the group key, the ordering columns and the row's identity, raw_key
-- and raw_record_index: one record of one raw file), and the ranks are joined back to the wide rows by that
-- identity, so the four sorts move a few columns instead of all 46 (about a quarter of their time).
-- A record given twice (at-least-once delivery) joins to both ranks of its twin; being equal, the copies
-- still give every field the value of its best-ranked row.
WITH observations AS (
    SELECT
        t.flight_date,
        coalesce(t.operating_flight_iata, t.operating_flight_icao) AS flight_key,
        t.dep_airport_icao,
        t.collected_at_utc,
        t.is_codeshare,
        t.raw_key,
        t.raw_record_index,
        CASE WHEN t.board = 'departures' AND t.board_airport_icao = t.dep_airport_icao THEN 1 ELSE 0 END AS on_dep_board,
        CASE WHEN t.board = 'arrivals' AND t.board_airport_icao = t.arr_airport_icao THEN 1 ELSE 0 END AS on_arr_board
    FROM transformed_rows AS t
),
ranks AS (
    SELECT
        o.raw_key,
        o.raw_record_index,
        o.flight_key,
        o.on_dep_board,
        o.on_arr_board,
        row_number() OVER (
            PARTITION BY o.flight_date, o.flight_key, o.dep_airport_icao
            ORDER BY o.on_dep_board DESC, o.collected_at_utc DESC, o.is_codeshare ASC, o.raw_key DESC, o.raw_record_index DESC
        ) AS dep_rank,
        row_number() OVER (
            PARTITION BY o.flight_date, o.flight_key, o.dep_airport_icao
            ORDER BY o.on_arr_board DESC, o.collected_at_utc DESC, o.is_codeshare ASC, o.raw_key DESC, o.raw_record_index DESC
        ) AS arr_rank,
        -- Facts of the whole flight (aircraft): the newest observation; at the same instant the
        -- arrival board, which sees the later part of a flight's life.
        row_number() OVER (
            PARTITION BY o.flight_date, o.flight_key, o.dep_airport_icao
            ORDER BY o.collected_at_utc DESC, o.on_arr_board DESC, o.is_codeshare ASC, o.raw_key DESC, o.raw_record_index DESC
        ) AS any_rank,
        -- Facts only the operator knows (status): its own record whenever one exists, newest first; a
        -- marketing record only for a flight seen through nothing else.
        row_number() OVER (
            PARTITION BY o.flight_date, o.flight_key, o.dep_airport_icao
            ORDER BY o.is_codeshare ASC, o.collected_at_utc DESC, o.on_arr_board DESC, o.raw_key DESC, o.raw_record_index DESC
        ) AS operator_rank
    FROM observations AS o
),
ranked AS (
    SELECT
        t.*,
        k.flight_key,
        k.on_dep_board,
        k.on_arr_board,
        k.dep_rank,
        k.arr_rank,
        k.any_rank,
        k.operator_rank,
        -- The operating flight's own record names its airline and number; a codeshare record does not.
        CASE WHEN t.is_codeshare THEN NULL ELSE 1 END AS is_operator_record
    FROM transformed_rows AS t
    JOIN ranks AS k ON k.raw_key = t.raw_key AND k.raw_record_index = t.raw_record_index
)
SELECT
    r.flight_date AS flight_date,
    min_by(r.operating_flight_iata, CASE WHEN r.operating_flight_iata IS NOT NULL THEN r.any_rank END) AS flight_iata,
    min_by(r.operating_flight_icao, CASE WHEN r.operating_flight_icao IS NOT NULL THEN r.any_rank END) AS flight_icao,
    min_by(r.flight_number, CASE WHEN r.flight_number IS NOT NULL THEN r.any_rank * r.is_operator_record END) AS flight_number,
    min_by(r.operating_airline_iata, CASE WHEN r.operating_airline_iata IS NOT NULL THEN r.any_rank END) AS airline_iata,
    min_by(r.operating_airline_icao, CASE WHEN r.operating_airline_icao IS NOT NULL THEN r.any_rank END) AS airline_icao,
    -- The operator's own record names its airline; a flight seen only through codeshare records takes the name
    -- their codeshare block gives the operator.
    coalesce(
        min_by(r.airline_name, CASE WHEN r.airline_name IS NOT NULL THEN r.any_rank * r.is_operator_record END),
        min_by(r.operating_airline_name, CASE WHEN r.operating_airline_name IS NOT NULL THEN r.any_rank END)
    ) AS airline_name,
    array_sort(array_distinct(array_agg(CASE WHEN r.is_codeshare THEN coalesce(r.flight_iata, r.flight_icao) END))) AS codeshare_flight_iatas,
    r.dep_airport_icao AS dep_airport_icao,
    min_by(r.dep_airport_iata, CASE WHEN r.dep_airport_iata IS NOT NULL THEN r.dep_rank END) AS dep_airport_iata,
    min_by(r.dep_scheduled_utc, CASE WHEN r.dep_scheduled_utc IS NOT NULL THEN r.dep_rank END) AS dep_scheduled_utc,
    min_by(r.dep_estimated_utc, CASE WHEN r.dep_estimated_utc IS NOT NULL THEN r.dep_rank END) AS dep_estimated_utc,
    min_by(r.dep_actual_utc, CASE WHEN r.dep_actual_utc IS NOT NULL THEN r.dep_rank END) AS dep_actual_utc,
    min_by(r.dep_runway_utc, CASE WHEN r.dep_runway_utc IS NOT NULL THEN r.dep_rank END) AS dep_runway_utc,
    min_by(r.dep_delay_min, CASE WHEN r.dep_delay_min IS NOT NULL THEN r.dep_rank END) AS dep_delay_min,
    min_by(r.dep_terminal, CASE WHEN r.dep_terminal IS NOT NULL THEN r.dep_rank END) AS dep_terminal,
    min_by(r.dep_gate, CASE WHEN r.dep_gate IS NOT NULL THEN r.dep_rank END) AS dep_gate,
    min_by(r.arr_airport_icao, CASE WHEN r.arr_airport_icao IS NOT NULL THEN r.arr_rank END) AS arr_airport_icao,
    min_by(r.arr_airport_iata, CASE WHEN r.arr_airport_iata IS NOT NULL THEN r.arr_rank END) AS arr_airport_iata,
    min_by(r.arr_scheduled_utc, CASE WHEN r.arr_scheduled_utc IS NOT NULL THEN r.arr_rank END) AS arr_scheduled_utc,
    min_by(r.arr_estimated_utc, CASE WHEN r.arr_estimated_utc IS NOT NULL THEN r.arr_rank END) AS arr_estimated_utc,
    min_by(r.arr_actual_utc, CASE WHEN r.arr_actual_utc IS NOT NULL THEN r.arr_rank END) AS arr_actual_utc,
    min_by(r.arr_runway_utc, CASE WHEN r.arr_runway_utc IS NOT NULL THEN r.arr_rank END) AS arr_runway_utc,
    min_by(r.arr_delay_min, CASE WHEN r.arr_delay_min IS NOT NULL THEN r.arr_rank END) AS arr_delay_min,
    min_by(r.arr_terminal, CASE WHEN r.arr_terminal IS NOT NULL THEN r.arr_rank END) AS arr_terminal,
    min_by(r.arr_gate, CASE WHEN r.arr_gate IS NOT NULL THEN r.arr_rank END) AS arr_gate,
    min_by(r.arr_baggage, CASE WHEN r.arr_baggage IS NOT NULL THEN r.arr_rank END) AS arr_baggage,
    min_by(r.aircraft_registration, CASE WHEN r.aircraft_registration IS NOT NULL THEN r.any_rank END) AS aircraft_registration,
    min_by(r.aircraft_type_icao, CASE WHEN r.aircraft_type_icao IS NOT NULL THEN r.any_rank END) AS aircraft_type_icao,
    min_by(r.status, r.operator_rank) AS status,
    min_by(r.flight_date_basis, CASE WHEN r.flight_date_basis IS NOT NULL THEN r.operator_rank END) AS flight_date_basis,
    max(r.on_dep_board) = 1 AS seen_on_departures,
    max(r.on_arr_board) = 1 AS seen_on_arrivals,
    count(DISTINCT r.raw_key) AS observation_count,
    min_by(r.source, r.any_rank) AS source,
    max(r.collected_at_utc) AS collected_at_utc,
    min_by(r.run_id, r.any_rank) AS run_id,
    -- The local offset of the scheduled time the flight row carries, from the same observation.
    min_by(r.dep_utc_offset_min, CASE WHEN r.dep_scheduled_utc IS NOT NULL THEN r.dep_rank END) AS dep_utc_offset_min,
    min_by(r.arr_utc_offset_min, CASE WHEN r.arr_scheduled_utc IS NOT NULL THEN r.arr_rank END) AS arr_utc_offset_min
FROM ranked AS r
GROUP BY r.flight_date, r.flight_key, r.dep_airport_icao
ORDER BY flight_date, dep_airport_icao, flight_iata, flight_icao

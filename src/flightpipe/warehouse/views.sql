-- The analytics views: ONE definition, written in DuckDB's dialect and transpiled by sqlglot to PostgreSQL and
-- Redshift (flightpipe.warehouse.views). Keep to what all three engines share: CASE instead of FILTER, AT TIME
-- ZONE for local times (rendered as CONVERT_TIMEZONE('UTC', zone, ts) on Redshift, which documents AT TIME ZONE
-- with a literal zone only), EXTRACT(EPOCH FROM interval) for minutes, and at most one percentile ordering per
-- query (Redshift requires every MEDIAN/PERCENTILE_CONT of a query to order by the same expression).

-- One row per movement an airport's board showed: a departure on its departures board, an arrival on its
-- arrivals board. local_date and local_hour are the scheduled time at that airport (dim_airport.tz); a
-- departure's local date is its flight_date. They come from *_utc_offset_min, computed by transform with the
-- pipeline's one zone database (Python's zoneinfo), never from the engine's own zone data; AT TIME ZONE only
-- serves rows loaded before those columns existed (null offsets) until they are reprocessed. actual_utc is the gate time (off-block / on-block), runway_utc the
-- take-off / landing; delay_min is actual (gate) minus scheduled (negative: early), NULL until the movement
-- happened (and for cancellations), so on-time shares count gate times, as airlines do (A15).
CREATE VIEW airport_movements AS
SELECT f.dep_airport_icao AS airport_icao,
       'departures' AS board,
       f.flight_date AS local_date,
       coalesce(
           CAST(floor(((EXTRACT(EPOCH FROM f.dep_scheduled_utc) + f.dep_utc_offset_min * 60) % 86400) / 3600) AS INTEGER),
           CAST(EXTRACT(HOUR FROM f.dep_scheduled_utc AT TIME ZONE a.tz) AS INTEGER)
       ) AS local_hour,
       f.flight_date,
       f.flight_iata,
       f.airline_iata,
       f.status,
       f.dep_scheduled_utc AS scheduled_utc,
       f.dep_actual_utc AS actual_utc,
       CAST(EXTRACT(EPOCH FROM (f.dep_actual_utc - f.dep_scheduled_utc)) / 60 AS INTEGER) AS delay_min,
       f.source,
       f.dep_runway_utc AS runway_utc
FROM fact_flights AS f
JOIN dim_airport AS a ON a.airport_icao = f.dep_airport_icao
WHERE f.seen_on_departures
UNION ALL
SELECT f.arr_airport_icao AS airport_icao,
       'arrivals' AS board,
       coalesce(
           DATE '1970-01-01' + CAST(floor((EXTRACT(EPOCH FROM f.arr_scheduled_utc) + f.arr_utc_offset_min * 60) / 86400) AS INTEGER),
           CAST(f.arr_scheduled_utc AT TIME ZONE a.tz AS DATE)
       ) AS local_date,
       coalesce(
           CAST(floor(((EXTRACT(EPOCH FROM f.arr_scheduled_utc) + f.arr_utc_offset_min * 60) % 86400) / 3600) AS INTEGER),
           CAST(EXTRACT(HOUR FROM f.arr_scheduled_utc AT TIME ZONE a.tz) AS INTEGER)
       ) AS local_hour,
       f.flight_date,
       f.flight_iata,
       f.airline_iata,
       f.status,
       f.arr_scheduled_utc AS scheduled_utc,
       f.arr_actual_utc AS actual_utc,
       CAST(EXTRACT(EPOCH FROM (f.arr_actual_utc - f.arr_scheduled_utc)) / 60 AS INTEGER) AS delay_min,
       f.source,
       f.arr_runway_utc AS runway_utc
FROM fact_flights AS f
JOIN dim_airport AS a ON a.airport_icao = f.arr_airport_icao
WHERE f.seen_on_arrivals;

-- Per airport, board and local day: movements, cancellations, on-time share (at most 15 minutes late, among
-- movements that happened), mean / median / 90th percentile delay in minutes.
CREATE VIEW daily_airport_performance AS
SELECT airport_icao,
       board,
       local_date,
       CAST(count(*) AS BIGINT) AS movements,
       CAST(sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS BIGINT) AS cancellations,
       CAST(count(delay_min) AS BIGINT) AS operated,
       CAST(sum(CASE WHEN delay_min <= 15 THEN 1 ELSE 0 END) AS BIGINT) AS on_time,
       CAST(avg(CASE WHEN delay_min IS NULL THEN NULL WHEN delay_min <= 15 THEN 1.0 ELSE 0.0 END) AS DOUBLE)
           AS on_time_share,
       CAST(avg(delay_min) AS DOUBLE) AS mean_delay_min,
       CAST(median(delay_min) AS DOUBLE) AS median_delay_min,
       CAST(quantile_cont(delay_min, 0.9) AS DOUBLE) AS p90_delay_min
FROM airport_movements
GROUP BY airport_icao, board, local_date;

-- Per flight date and route (departure airport, arrival airport): every physical flight of the route.
CREATE VIEW route_performance AS
SELECT flight_date,
       dep_airport_icao,
       arr_airport_icao,
       CAST(count(*) AS BIGINT) AS flights,
       CAST(sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS BIGINT) AS cancellations,
       CAST(sum(CASE WHEN status = 'diverted' THEN 1 ELSE 0 END) AS BIGINT) AS diversions,
       CAST(avg(CASE WHEN dep_delay IS NULL THEN NULL WHEN dep_delay <= 15 THEN 1.0 ELSE 0.0 END) AS DOUBLE)
           AS dep_on_time_share,
       CAST(avg(CASE WHEN arr_delay IS NULL THEN NULL WHEN arr_delay <= 15 THEN 1.0 ELSE 0.0 END) AS DOUBLE)
           AS arr_on_time_share,
       CAST(avg(dep_delay) AS DOUBLE) AS mean_dep_delay_min,
       CAST(avg(arr_delay) AS DOUBLE) AS mean_arr_delay_min,
       CAST(avg(block_min) AS DOUBLE) AS mean_block_min
FROM (
    SELECT flight_date, dep_airport_icao, arr_airport_icao, status,
           CAST(EXTRACT(EPOCH FROM (dep_actual_utc - dep_scheduled_utc)) / 60 AS INTEGER) AS dep_delay,
           CAST(EXTRACT(EPOCH FROM (arr_actual_utc - arr_scheduled_utc)) / 60 AS INTEGER) AS arr_delay,
           CAST(EXTRACT(EPOCH FROM (arr_actual_utc - dep_actual_utc)) / 60 AS INTEGER) AS block_min
    FROM fact_flights
) AS flights
GROUP BY flight_date, dep_airport_icao, arr_airport_icao;

-- Per flight date and operating airline (dim_airline's key: ICAO code, else IATA code).
CREATE VIEW airline_performance AS
SELECT f.flight_date,
       f.airline_key,
       d.airline_iata,
       d.airline_name,
       CAST(count(*) AS BIGINT) AS flights,
       CAST(sum(CASE WHEN f.status = 'cancelled' THEN 1 ELSE 0 END) AS BIGINT) AS cancellations,
       CAST(avg(CASE WHEN f.dep_delay IS NULL THEN NULL WHEN f.dep_delay <= 15 THEN 1.0 ELSE 0.0 END) AS DOUBLE)
           AS dep_on_time_share,
       CAST(avg(f.dep_delay) AS DOUBLE) AS mean_dep_delay_min,
       CAST(sum(f.codeshare_count) AS BIGINT) AS codeshare_numbers
FROM (
    SELECT flight_date, coalesce(airline_icao, airline_iata) AS airline_key, status, codeshare_count,
           CAST(EXTRACT(EPOCH FROM (dep_actual_utc - dep_scheduled_utc)) / 60 AS INTEGER) AS dep_delay
    FROM fact_flights
) AS f
LEFT JOIN dim_airline AS d ON d.airline_key = f.airline_key
GROUP BY f.flight_date, f.airline_key, d.airline_iata, d.airline_name;

-- Per airport, board, local day and local hour of the scheduled time.
CREATE VIEW hourly_movements AS
SELECT airport_icao,
       board,
       local_date,
       local_hour,
       CAST(count(*) AS BIGINT) AS movements,
       CAST(sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS BIGINT) AS cancellations
FROM airport_movements
GROUP BY airport_icao, board, local_date, local_hour;

-- Per airport, board and local day: how many movements fell into each delay band (movements that happened).
CREATE VIEW delay_distribution AS
SELECT airport_icao,
       board,
       local_date,
       delay_band,
       band_order,
       CAST(count(*) AS BIGINT) AS movements
FROM (
    SELECT airport_icao, board, local_date,
           CASE WHEN delay_min < 0 THEN 'early'
                WHEN delay_min <= 15 THEN '0-15'
                WHEN delay_min <= 30 THEN '16-30'
                WHEN delay_min <= 60 THEN '31-60'
                WHEN delay_min <= 120 THEN '61-120'
                ELSE '>120' END AS delay_band,
           CASE WHEN delay_min < 0 THEN 1
                WHEN delay_min <= 15 THEN 2
                WHEN delay_min <= 30 THEN 3
                WHEN delay_min <= 60 THEN 4
                WHEN delay_min <= 120 THEN 5
                ELSE 6 END AS band_order
    FROM airport_movements
    WHERE delay_min IS NOT NULL
) AS banded
GROUP BY airport_icao, board, local_date, delay_band, band_order;

-- The batch side of the engine-vs-sqlite3 comparison, shared by
-- test_sql_compare.sh (engine in-process) and test_sql_server_compare.sh
-- (engine through the running server). Run by sql_compare_lib.sh in the
-- directory holding the engine's CSVs (sql_compare.c describes them):
-- events.csv, late.csv, meta.csv, tumble_v.csv, hop_v.csv, session_v.csv.
--
-- Window rules, as the engine defines them (docs/SQL.md): TUMBLE 10 s and
-- HOP 5 s slide / 20 s size aligned to the epoch, [start, end); a SESSION
-- ends at its last event + 1 s gap, a new one starts when the next event is
-- >= 1 s after the previous; a window is emitted once the watermark (per
-- partition max event time - 5 s, minimum over partitions) reaches its end.
-- Output: lines "watermark BATCH ENGINE", "late BATCH ENGINE DIFFERING",
-- "tumble|hop|session BATCH ENGINE DIFFERING".
.bail on
.mode csv
CREATE TABLE ev(id INTEGER PRIMARY KEY, k TEXT, v INTEGER, ts INTEGER, part INTEGER);
CREATE TABLE late(id INTEGER);
CREATE TABLE meta(wm INTEGER, late INTEGER, records INTEGER);
CREATE TABLE e_tumble(k TEXT, ws INTEGER, we INTEGER, n INTEGER, s INTEGER, lo INTEGER, hi INTEGER, a REAL);
CREATE TABLE e_hop(k TEXT, ws INTEGER, we INTEGER, n INTEGER, s INTEGER, lo INTEGER, hi INTEGER, a REAL);
CREATE TABLE e_session(k TEXT, ws INTEGER, we INTEGER, n INTEGER, s INTEGER, lo INTEGER, hi INTEGER, a REAL);
.import events.csv ev
.import late.csv late
.import meta.csv meta
.import tumble_v.csv e_tumble
.import hop_v.csv e_hop
.import session_v.csv e_session
CREATE INDEX late_id ON late(id);
CREATE INDEX e_tumble_key ON e_tumble(k, ws, we);
CREATE INDEX e_hop_key ON e_hop(k, ws, we);
CREATE INDEX e_session_key ON e_session(k, ws, we);
-- Lateness, computed independently: an event is late when its time is
-- behind its partition's watermark (max earlier time there - 5 s); with no
-- idle partitions the combined watermark is never ahead of that.
CREATE TABLE b_late AS
  SELECT id FROM (SELECT id, ts, MAX(ts) OVER (PARTITION BY part ORDER BY id
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS mx FROM ev)
  WHERE ts < mx - 5000;
CREATE TABLE acc AS SELECT * FROM ev WHERE id NOT IN (SELECT id FROM b_late);
-- The final watermark, computed independently from the accepted events.
CREATE TABLE w AS SELECT MIN(mx) - 5000 AS wm FROM (SELECT part, MAX(ts) AS mx FROM acc GROUP BY part);
CREATE TABLE b_tumble AS
  SELECT k, ts / 10000 * 10000 AS ws, ts / 10000 * 10000 + 10000 AS we, COUNT(*) AS n, SUM(v) AS s,
         MIN(v) AS lo, MAX(v) AS hi, AVG(v) AS a
  FROM acc GROUP BY k, ws HAVING we <= (SELECT wm FROM w);
CREATE TABLE b_hop AS
  WITH j(j) AS (VALUES (0), (1), (2), (3))
  SELECT k, ts / 5000 * 5000 - j * 5000 AS ws, ts / 5000 * 5000 - j * 5000 + 20000 AS we, COUNT(*) AS n,
         SUM(v) AS s, MIN(v) AS lo, MAX(v) AS hi, AVG(v) AS a
  FROM acc, j GROUP BY k, ws HAVING we <= (SELECT wm FROM w);
CREATE TABLE b_session AS
  WITH o AS (SELECT k, ts, v, id, LAG(ts) OVER (PARTITION BY k ORDER BY ts, id) AS pts FROM acc),
       s AS (SELECT k, ts, v, SUM(CASE WHEN pts IS NULL OR ts - pts >= 1000 THEN 1 ELSE 0 END)
                   OVER (PARTITION BY k ORDER BY ts, id ROWS UNBOUNDED PRECEDING) AS sid FROM o)
  SELECT k, MIN(ts) AS ws, MAX(ts) + 1000 AS we, COUNT(*) AS n, SUM(v) AS s, MIN(v) AS lo, MAX(v) AS hi,
         AVG(v) AS a
  FROM s GROUP BY k, sid HAVING we <= (SELECT wm FROM w);
.mode list
.separator " "
SELECT 'watermark', (SELECT wm FROM w), (SELECT wm FROM meta);
SELECT 'late', (SELECT COUNT(*) FROM b_late), (SELECT COUNT(*) FROM late),
  (SELECT COUNT(*) FROM (SELECT id FROM b_late EXCEPT SELECT id FROM late))
  + (SELECT COUNT(*) FROM (SELECT id FROM late EXCEPT SELECT id FROM b_late));
SELECT 'tumble', (SELECT COUNT(*) FROM b_tumble), (SELECT COUNT(*) FROM e_tumble),
  (SELECT COUNT(*) FROM b_tumble b FULL JOIN e_tumble e USING (k, ws, we)
   WHERE b.n IS NOT e.n OR b.s IS NOT e.s OR b.lo IS NOT e.lo OR b.hi IS NOT e.hi
      OR b.a IS NULL OR e.a IS NULL OR abs(b.a - e.a) > 1e-9 * max(1.0, abs(b.a)));
SELECT 'hop', (SELECT COUNT(*) FROM b_hop), (SELECT COUNT(*) FROM e_hop),
  (SELECT COUNT(*) FROM b_hop b FULL JOIN e_hop e USING (k, ws, we)
   WHERE b.n IS NOT e.n OR b.s IS NOT e.s OR b.lo IS NOT e.lo OR b.hi IS NOT e.hi
      OR b.a IS NULL OR e.a IS NULL OR abs(b.a - e.a) > 1e-9 * max(1.0, abs(b.a)));
SELECT 'session', (SELECT COUNT(*) FROM b_session), (SELECT COUNT(*) FROM e_session),
  (SELECT COUNT(*) FROM b_session b FULL JOIN e_session e USING (k, ws, we)
   WHERE b.n IS NOT e.n OR b.s IS NOT e.s OR b.lo IS NOT e.lo OR b.hi IS NOT e.hi
      OR b.a IS NULL OR e.a IS NULL OR abs(b.a - e.a) > 1e-9 * max(1.0, abs(b.a)));

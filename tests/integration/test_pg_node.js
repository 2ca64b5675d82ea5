// node-postgres (pg from npm) against eddy's PostgreSQL front end, under
// node's test runner: parameterized queries on a view return typed values
// (int4/float8 as numbers, int8/numeric as strings, timestamptz as Date),
// named prepared statements are reused, errors carry SQLSTATE and position,
// SUBSCRIBE streams live changes until a CancelRequest (57014) and the
// connection stays usable; a slow subscriber is dropped rather than buffered.
// Server: `eddy server --sql-port 0` when it has the flag (logging
// "... PostgreSQL clients on 127.0.0.1:PORT"), else the harness
// $EDDY_BUILD/it_test_pg_server. Events are produced with kafkajs.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const pg = require('pg');
const { Kafka, logLevel } = require('kafkajs');

const EDDY = process.env.EDDY;
const servers = [];
const dirs = [];
let main;
let kafka;

function startServer(extra = []) {
  return new Promise((resolve, reject) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-it-node-'));
    dirs.push(dataDir);
    let useServer = false;
    if (extra.length === 0) {
      try {
        useServer = /--sql-port/.test(execFileSync(EDDY, ['server', '--help']).toString());
      } catch (e) { useServer = false; }
    }
    const proc = useServer
      ? spawn(EDDY, ['server', '--data-dir', dataDir, '--bind', '127.0.0.1', '--kafka-port', '0',
        '--sql-port', '0', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(path.join(process.env.EDDY_BUILD, 'it_test_pg_server'),
        ['--data-dir', dataDir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    servers.push(proc);
    let log = '';
    const found = {};
    const timer = setTimeout(() => reject(new Error('server did not start: ' + log)), 10000);
    const onData = (d) => {
      log += d.toString();
      let m = /ready kafka=(\d+) sql=(\d+)/.exec(log);
      if (m) { found.kafka = +m[1]; found.sql = +m[2]; }
      m = /Kafka clients on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) found.kafka = +m[1];
      m = /PostgreSQL clients on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) found.sql = +m[1];
      if (found.kafka && found.sql && !found.done) {
        found.done = true;
        clearTimeout(timer);
        resolve(found);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => { if (!found.done) reject(new Error(`server exited ${code}: ${log}`)); });
  });
}

function cfg(port, extra = {}) {
  return { host: '127.0.0.1', port, user: 'eddy', database: 'eddy', ...extra };
}

async function withClient(fn, extra) {
  const c = new pg.Client(cfg(main.sql, extra));
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function produce(events) {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic: 'trades', acks: -1,
      messages: events.map((e) => ({ value: JSON.stringify(e) })) });
  } finally {
    await producer.disconnect();
  }
}

async function waitFor(c, sql, params, pred, what) {
  for (let i = 0; i < 200; i++) {
    const r = await c.query(sql, params);
    if (pred(r)) return r;
    await sleep(50);
  }
  throw new Error('timed out waiting for ' + what);
}

before(async () => {
  assert.ok(EDDY, 'EDDY must point to the eddy binary');
  main = await startServer();
  kafka = new Kafka({ clientId: 'eddy-pg-it', brokers: [`127.0.0.1:${main.kafka}`],
    logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
  await withClient(async (c) => {
    await c.query(`CREATE SOURCE trades (sym TEXT, qty BIGINT, px DOUBLE PRECISION, ts TIMESTAMPTZ)
                   WITH (topic = 'trades', format = 'json', partitions = 2)`);
    await c.query(`CREATE MATERIALIZED VIEW book AS
                   SELECT sym, COUNT(*) AS n, SUM(qty) AS qty, MAX(px) AS px, MAX(ts) AS last_ts
                   FROM trades GROUP BY sym`);
  });
  const events = [];
  for (let i = 0; i < 100; i++) {
    events.push({ sym: ['ABC', 'XYZ'][i % 2], qty: i, px: 10 + i / 4,
      ts: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() });
  }
  await produce(events);
  await withClient((c) => waitFor(c, 'SELECT sym, n FROM book', [],
    (r) => r.rows.reduce((a, x) => a + Number(x.n), 0) === 100, '100 trades in the view'));
});

after(() => {
  for (const p of servers) p.kill('SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('parameterized SELECT returns typed values', { timeout: 30000 }, async () => {
  await withClient(async (c) => {
    const r = await c.query(
      `SELECT sym, n, qty, CAST(qty AS INTEGER) AS qty4, px, CAST(px AS NUMERIC(10,2)) AS pxn,
              last_ts, n > 10 AS many
       FROM book WHERE sym = $1`, ['XYZ']);
    assert.strictEqual(r.rowCount, 1);
    const row = r.rows[0];
    assert.strictEqual(row.sym, 'XYZ');
    assert.strictEqual(row.n, '50', 'int8 is a string, as pg returns it');
    assert.strictEqual(row.qty, '2500');
    assert.strictEqual(row.qty4, 2500, 'int4 is a number');
    assert.strictEqual(row.px, 34.75, 'float8 is a number');
    assert.strictEqual(row.pxn, '34.75', 'numeric is a string');
    assert.ok(row.last_ts instanceof Date, 'timestamptz is a Date');
    assert.strictEqual(row.last_ts.toISOString(), '2026-01-01T00:01:39.000Z');
    assert.strictEqual(row.many, true);
    const oids = Object.fromEntries(r.fields.map((f) => [f.name, f.dataTypeID]));
    assert.deepStrictEqual(oids, { sym: 25, n: 20, qty: 20, qty4: 23, px: 701, pxn: 1700,
      last_ts: 1184, many: 16 });
  });
});

test('parameters of several types and NULL', { timeout: 30000 }, async () => {
  await withClient(async (c) => {
    let r = await c.query('SELECT sym FROM book WHERE qty > $1 AND px < $2 ORDER BY sym', [2000, 100.5]);
    assert.deepStrictEqual(r.rows.map((x) => x.sym), ['ABC', 'XYZ']);
    r = await c.query('SELECT sym FROM book WHERE last_ts >= $1', [new Date(Date.UTC(2026, 0, 1, 0, 1, 39))]);
    assert.deepStrictEqual(r.rows.map((x) => x.sym), ['XYZ']);
    r = await c.query('SELECT $1 IS NULL AS isnull, $2 AS s', [null, "it's"]);
    assert.deepStrictEqual(r.rows[0], { isnull: true, s: "it's" });
    r = await c.query({ text: 'SELECT sym FROM book WHERE sym = $1', values: ["x' OR '1'='1"] });
    assert.strictEqual(r.rowCount, 0, 'parameters are values, never SQL');
  });
});

test('named prepared statements are reused', { timeout: 30000 }, async () => {
  await withClient(async (c) => {
    const q = { name: 'by_sym', text: 'SELECT sym, n FROM book WHERE sym = $1' };
    const a = await c.query({ ...q, values: ['ABC'] });
    const b = await c.query({ ...q, values: ['XYZ'] });
    const z = await c.query({ ...q, values: ['none'] });
    assert.deepStrictEqual(a.rows, [{ sym: 'ABC', n: '50' }]);
    assert.deepStrictEqual(b.rows, [{ sym: 'XYZ', n: '50' }]);
    assert.deepStrictEqual(z.rows, []);
    // Pipelined queries on one connection.
    const all = await Promise.all([1, 2, 3, 4].map((i) => c.query({ ...q, values: [i % 2 ? 'ABC' : 'XYZ'] })));
    assert.deepStrictEqual(all.map((r) => r.rows[0].sym), ['ABC', 'XYZ', 'ABC', 'XYZ']);
  });
});

test('errors carry SQLSTATE and position; the connection goes on', { timeout: 30000 }, async () => {
  await withClient(async (c) => {
    await assert.rejects(c.query('SELECT nosuch FROM book WHERE sym = $1', ['ABC']),
      (e) => e.code === '42703' && e.position === '8');
    await assert.rejects(c.query('SELECT * FROM nothing'), (e) => e.code === '42P01');
    await assert.rejects(c.query('SELEC 1'), (e) => e.code === '42601' && e.position === '1');
    const r = await c.query('SELECT sym FROM book WHERE sym = $1', ['ABC']);
    assert.strictEqual(r.rowCount, 1);
  });
});

test('SET, SHOW and transactions as drivers use them', { timeout: 30000 }, async () => {
  await withClient(async (c) => {
    await c.query('SET application_name = $$x$$'.replace(/\$\$/g, "'"));
    let r = await c.query('SHOW application_name');
    assert.strictEqual(r.rows[0].application_name, 'x');
    await c.query('BEGIN');
    r = await c.query('SELECT n FROM book WHERE sym = $1', ['ABC']);
    assert.strictEqual(r.rows[0].n, '50');
    await c.query('COMMIT');
    r = await c.query('SELECT current_setting($1) AS v', ['server_version']);
    assert.match(r.rows[0].v, /eddy/);
  });
});

test('SUBSCRIBE streams live changes until cancelled', { timeout: 60000 }, async () => {
  const c = new pg.Client(cfg(main.sql));
  await c.connect();
  try {
    const rows = [];
    const q = new pg.Query('SUBSCRIBE book');
    const ended = new Promise((resolve) => {
      q.on('error', (e) => resolve(e));
      q.on('end', () => resolve(null));
    });
    q.on('row', (r) => rows.push(r));
    c.query(q);
    await sleep(300);
    await produce([{ sym: 'NEW', qty: 5, px: 1.25, ts: '2026-01-01T01:00:00Z' },
      { sym: 'ABC', qty: 1, px: 1, ts: '2026-01-01T01:00:01Z' }]);
    for (let i = 0; i < 200 && rows.length < 3; i++) await sleep(50);
    const ops = rows.map((r) => `${r.op}:${r.sym}:${r.n}`).sort();
    assert.deepStrictEqual(ops, ['insert:NEW:1', 'update_after:ABC:51', 'update_before:ABC:50']);
    const ins = rows.find((r) => r.op === 'insert');
    assert.strictEqual(ins.px, 1.25);
    assert.ok(ins.last_ts instanceof Date);
    new pg.Client(cfg(main.sql)).cancel(c, q);
    const err = await ended;
    assert.ok(err, 'the subscription ends with an error');
    assert.strictEqual(err.code, '57014');
    const r = await c.query('SELECT n FROM book WHERE sym = $1', ['NEW']);
    assert.strictEqual(r.rows[0].n, '1', 'the connection is usable after the cancel');
  } finally {
    await c.end();
  }
});

test('a subscriber that does not read is dropped, bounded', { timeout: 60000 }, async () => {
  const small = await startServer(['--max-subscribe-bytes', '65536']);
  const sk = new Kafka({ clientId: 'eddy-pg-it2', brokers: [`127.0.0.1:${small.kafka}`],
    logLevel: logLevel.NOTHING });
  const c = new pg.Client(cfg(small.sql));
  await c.connect();
  try {
    await c.query(`CREATE SOURCE s (k TEXT, v TEXT) WITH (topic = 's', format = 'json')`);
    await c.query('CREATE MATERIALIZED VIEW latest AS SELECT k, MAX(v) AS v FROM s GROUP BY k');
    const q = new pg.Query('SUBSCRIBE latest');
    const ended = new Promise((resolve) => {
      q.on('error', (e) => resolve(e));
      q.on('end', () => resolve(null));
    });
    c.query(q);
    await sleep(200);
    c.connection.stream.pause(); // stop reading: the server's queues fill up
    const producer = sk.producer();
    await producer.connect();
    const big = 'x'.repeat(1000);
    for (let b = 0; b < 20; b++) {
      const messages = [];
      for (let i = 0; i < 500; i++) messages.push({ value: JSON.stringify({ k: `k${b}_${i}`, v: big }) });
      await producer.send({ topic: 's', acks: -1, messages });
    }
    await producer.disconnect();
    await sleep(1000);
    c.connection.stream.resume();
    const err = await ended;
    assert.ok(err, 'the subscription is dropped with an error');
    assert.strictEqual(err.code, '53400');
  } finally {
    await c.end().catch(() => {});
  }
});

test('SCRAM-SHA-256 password authentication', { timeout: 30000 }, async () => {
  const auth = await startServer(['--user', 'alice', '--password', 'pw-1']);
  const ok = new pg.Client(cfg(auth.sql, { user: 'alice', password: 'pw-1' }));
  await ok.connect();
  const r = await ok.query('SELECT current_user AS u');
  assert.strictEqual(r.rows[0].u, 'alice');
  await ok.end();
  const bad = new pg.Client(cfg(auth.sql, { user: 'alice', password: 'nope' }));
  await assert.rejects(bad.connect(), (e) => e.code === '28P01');
});

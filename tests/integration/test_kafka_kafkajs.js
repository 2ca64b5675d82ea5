// kafkajs (npm) against eddy server, under node's test runner: admin
// createTopics/listTopics, produce, and consume in a consumer group.
// The server binary comes from env EDDY; it listens on a free port on
// 127.0.0.1 with a temporary data directory, and is killed at the end.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Kafka, logLevel } = require('kafkajs');

const EDDY = process.env.EDDY;
let server;
let dataDir;
let broker;
let kafka;

function startServer() {
  return new Promise((resolve, reject) => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-it-js-'));
    server = spawn(EDDY, ['server', '--data-dir', dataDir, '--bind', '127.0.0.1',
      '--kafka-port', '0', '--sql-port', '0', '--http-port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => reject(new Error('server did not start: ' + log)), 30000);
    server.stderr.on('data', (d) => {
      log += d.toString();
      const m = /listening for Kafka clients on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m && !broker) {
        clearTimeout(timer);
        broker = `127.0.0.1:${m[1]}`;
        resolve();
      }
    });
    server.on('exit', (code) => { if (!broker) reject(new Error(`server exited ${code}: ${log}`)); });
  });
}

before(async () => {
  assert.ok(EDDY, 'EDDY must point to the eddy binary');
  await startServer();
  kafka = new Kafka({ clientId: 'eddy-js-test', brokers: [broker], logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100 } });
});

after(() => {
  if (server) server.kill('SIGKILL');
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

test('admin createTopics and listTopics', { timeout: 30000 }, async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic: 'js-orders', numPartitions: 3 }, { topic: 'js-events', numPartitions: 1 }],
      waitForLeaders: true,
    });
    assert.strictEqual(created, true);
    const again = await admin.createTopics({ topics: [{ topic: 'js-orders', numPartitions: 3 }] });
    assert.strictEqual(again, false, 'creating an existing topic reports false');
    const topics = await admin.listTopics();
    assert.ok(topics.includes('js-orders'), `listTopics: ${topics}`);
    assert.ok(topics.includes('js-events'), `listTopics: ${topics}`);
    const md = await admin.fetchTopicMetadata({ topics: ['js-orders'] });
    assert.strictEqual(md.topics[0].partitions.length, 3);
  } finally {
    await admin.disconnect();
  }
});

test('produce, then consume everything in a consumer group', { timeout: 60000 }, async () => {
  const N = 500;
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < N; i++) messages.push({ key: `k${i % 17}`, value: `m${i}` });
  for (let i = 0; i < N; i += 100) {
    const res = await producer.send({ topic: 'js-orders', acks: -1, messages: messages.slice(i, i + 100) });
    for (const r of res) assert.strictEqual(r.errorCode, 0);
  }
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: 'js-group', sessionTimeout: 10000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'js-orders', fromBeginning: true });
  const seen = new Map();
  const keyPartition = new Map();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${seen.size} of ${N}`)), 45000);
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        const v = message.value.toString();
        seen.set(v, (seen.get(v) || 0) + 1);
        const k = message.key.toString();
        if (keyPartition.has(k)) assert.strictEqual(keyPartition.get(k), partition, 'a key stays in one partition');
        keyPartition.set(k, partition);
        if (seen.size === N) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  for (let i = 0; i < N; i++) assert.strictEqual(seen.get(`m${i}`), 1, `m${i} read once`);

  // the group's committed offsets cover everything
  const admin = kafka.admin();
  await admin.connect();
  const offs = await admin.fetchOffsets({ groupId: 'js-group', topics: ['js-orders'] });
  const committed = offs[0].partitions.reduce((s, p) => s + Number(p.offset), 0);
  assert.strictEqual(committed, N);
  await admin.disconnect();
});

#!/usr/bin/env node
// Small kafkajs CLI used by Wharf's integration tests as a reference Node.js peer.
//
//   node kafkajs_client.js produce --bootstrap B --topic T --count N
//        [--prefix P] [--compression none|gzip] [--acks -1|0|1] [--partition P]
//   node kafkajs_client.js consume --bootstrap B --topic T --count N
//        [--group G] [--timeout-ms MS]
//   node kafkajs_client.js group-consume --bootstrap B --topic T --group G
//        [--session-timeout-ms MS] [--client-id ID]
//
// produce sends N records in one batch with key "<prefix>key-<i>", value
// "<prefix>value-<i>" and headers idx=<i>, client=kafkajs, then prints one JSON line
// per record: {"key","partition","offset"}.
// consume reads N records from the beginning in a consumer group and prints one JSON
// line per record: {"topic","partition","offset","timestamp","key","value","headers"}
// with headers as [[name, value], ...].
// group-consume is a consumer group member that runs until SIGTERM (then it disconnects,
// leaving the group): it commits each batch's offsets and only then prints its records,
// one JSON line each ({"partition","offset","key","value"}); assignments are printed as
// {"event":"assigned","partitions":[...]}.
// Exit 0 on success, 1 on error/timeout, 2 on bad usage. kafkajs is loaded from
// .cache/node (tests/peers/setup_node.sh).
'use strict';

const path = require('path');

function loadKafkajs() {
  try {
    return require('kafkajs');
  } catch (e) {
    const cached = path.resolve(__dirname, '../../../.cache/node/node_modules/kafkajs');
    return require(cached);
  }
}

const { Kafka, logLevel, CompressionTypes, Partitioners } = loadKafkajs();

function usage(why) {
  process.stderr.write(`kafkajs_client: ${why}\nusage:\n` +
    '  produce --bootstrap B --topic T --count N [--prefix P] [--compression none|gzip] [--acks A] [--partition P]\n' +
    '  consume --bootstrap B --topic T --count N [--group G] [--timeout-ms MS]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const [command, ...rest] = argv;
  if (!command) usage('missing command');
  const opts = {};
  for (let i = 0; i < rest.length; i += 2) {
    if (!rest[i].startsWith('--') || i + 1 >= rest.length) usage(`bad argument ${rest[i]}`);
    opts[rest[i].slice(2)] = rest[i + 1];
  }
  const required = command === 'group-consume' ? ['bootstrap', 'topic', 'group'] : ['bootstrap', 'topic', 'count'];
  for (const name of required) {
    if (opts[name] === undefined) usage(`missing --${name}`);
  }
  return { command, opts };
}

// kafkajs logs to stdout by default; keep stdout for JSON lines only.
const stderrLogger = () => ({ namespace, level, label, log }) => {
  const { message, ...extra } = log;
  process.stderr.write(`[kafkajs ${label}] ${namespace}: ${message} ${JSON.stringify(extra)}\n`);
};

function client(opts) {
  return new Kafka({
    clientId: opts['client-id'] || 'wharf-kafkajs-peer',
    brokers: opts.bootstrap.split(','),
    logLevel: logLevel.ERROR,
    logCreator: stderrLogger,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}

async function produce(opts) {
  const count = Number(opts.count);
  const prefix = opts.prefix || '';
  // Record which partition the (Java-compatible) default partitioner picks for each
  // message, so each record's offset can be derived from its partition's base offset.
  const chosen = new Map();
  const createPartitioner = () => {
    const inner = Partitioners.DefaultPartitioner();
    return (args) => {
      const p = inner(args);
      chosen.set(args.message, p);
      return p;
    };
  };
  const producer = client(opts).producer({ createPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
  try {
    const messages = [];
    for (let i = 0; i < count; i++) {
      const m = { key: `${prefix}key-${i}`, value: `${prefix}value-${i}`, headers: { idx: String(i), client: 'kafkajs' } };
      if (opts.partition !== undefined) m.partition = Number(opts.partition);
      messages.push(m);
    }
    const compression = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP }[opts.compression || 'none'];
    if (compression === undefined) usage(`unsupported compression ${opts.compression}`);
    const results = await producer.send({
      topic: opts.topic, messages, compression, acks: Number(opts.acks ?? -1),
    });
    const next = new Map(results.map((r) => [r.partition, BigInt(r.baseOffset)]));
    for (const m of messages) {
      const partition = m.partition ?? chosen.get(m);
      const offset = next.get(partition);
      next.set(partition, offset + 1n);
      process.stdout.write(JSON.stringify({ key: m.key, partition, offset: Number(offset) }) + '\n');
    }
  } finally {
    await producer.disconnect();
  }
}

function headerPairs(headers) {
  const pairs = [];
  for (const [name, value] of Object.entries(headers || {})) {
    for (const v of Array.isArray(value) ? value : [value]) {
      pairs.push([name, v === undefined || v === null ? null : v.toString('utf8')]);
    }
  }
  return pairs;
}

async function consume(opts) {
  const count = Number(opts.count);
  const timeoutMs = Number(opts['timeout-ms'] || 30000);
  const consumer = client(opts).consumer({ groupId: opts.group || `kafkajs-peer-${process.pid}-${Date.now()}` });
  await consumer.connect();
  let seen = 0;
  try {
    await consumer.subscribe({ topics: [opts.topic], fromBeginning: true });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${seen} of ${count} records`)), timeoutMs);
      // Fail fast instead of waiting for the timeout when the consumer gives up
      // (e.g. a compression codec kafkajs lacks).
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) {
          clearTimeout(timer);
          reject(payload.error);
        }
      });
      consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          if (seen >= count) return;
          process.stdout.write(JSON.stringify({
            topic,
            partition,
            offset: Number(message.offset),
            timestamp: Number(message.timestamp),
            key: message.key === null ? null : message.key.toString('utf8'),
            value: message.value === null ? null : message.value.toString('utf8'),
            headers: headerPairs(message.headers),
          }) + '\n');
          if (++seen >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect(); // commits the consumed offsets
  }
}

async function groupConsume(opts) {
  const consumer = client(opts).consumer({
    groupId: opts.group,
    sessionTimeout: Number(opts['session-timeout-ms'] || 6000),
    heartbeatInterval: 1000,
    rebalanceTimeout: 10000,
    // Idle members heartbeat (and notice rebalances) between fetches: keep fetches short.
    maxWaitTimeInMs: 500,
  });
  const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const parts = (payload.memberAssignment[opts.topic] || []).slice().sort((a, b) => a - b);
    emit({ event: 'assigned', partitions: parts });
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await consumer.disconnect(); // leaves the group
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await consumer.connect();
  await consumer.subscribe({ topics: [opts.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      if (batch.messages.length === 0) return;
      const last = batch.messages[batch.messages.length - 1].offset;
      // A failed commit (the partition was revoked) throws: kafkajs rejoins and the records
      // are consumed again by whoever owns the partition then.
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      for (const m of batch.messages) {
        emit({
          partition: batch.partition,
          offset: Number(m.offset),
          key: m.key === null ? null : m.key.toString('utf8'),
          value: m.value === null ? null : m.value.toString('utf8'),
        });
      }
    },
  });
  await new Promise(() => {}); // until SIGTERM
}

async function main() {
  const { command, opts } = parseArgs(process.argv.slice(2));
  if (command === 'produce') await produce(opts);
  else if (command === 'consume') await consume(opts);
  else if (command === 'group-consume') await groupConsume(opts);
  else usage(`unknown command ${command}`);
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`kafkajs_client: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});

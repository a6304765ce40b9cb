#!/usr/bin/env node
// kafkajs producer for the codecs kafkajs does not build in, used by capture_batches.py:
//
//   node kafkajs_codecs.js --bootstrap B --topic T --count N --prefix P --compression snappy|lz4
//
// Registers the codec plugins kafkajs-snappy / kafkajs-lz4 (installed by capture_batches.py
// into .cache/records-node), sends N records to partition 0 in one batch (key <P>key-i,
// value <P>value-i, headers idx=i, client=kafkajs, as tests/peers/node/kafkajs_client.js
// does) and prints one JSON line per record: {"key","partition","offset"}.
'use strict';

const path = require('path');

const modules = process.env.RECORDS_NODE_MODULES ||
  path.resolve(__dirname, '../../../../.cache/records-node/node_modules');
const load = (name) => require(path.join(modules, name));
const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = load('kafkajs');

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i += 2) opts[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const name of ['bootstrap', 'topic', 'count', 'compression']) {
    if (opts[name] === undefined) throw new Error(`missing --${name}`);
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let type;
  if (opts.compression === 'snappy') {
    CompressionCodecs[CompressionTypes.Snappy] = load('kafkajs-snappy');
    type = CompressionTypes.Snappy;
  } else if (opts.compression === 'lz4') {
    const LZ4Codec = load('kafkajs-lz4');
    CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec;
    type = CompressionTypes.LZ4;
  } else {
    throw new Error(`unsupported compression ${opts.compression}`);
  }
  const kafka = new Kafka({
    clientId: 'wharf-records-capture',
    brokers: opts.bootstrap.split(','),
    logLevel: logLevel.ERROR,
  });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const prefix = opts.prefix || '';
    const messages = [];
    for (let i = 0; i < Number(opts.count); i++) {
      messages.push({
        key: `${prefix}key-${i}`,
        value: `${prefix}value-${i}`,
        partition: 0,
        headers: { idx: String(i), client: 'kafkajs' },
      });
    }
    const [result] = await producer.send({ topic: opts.topic, messages, compression: type, acks: -1 });
    let offset = BigInt(result.baseOffset);
    for (const m of messages) {
      process.stdout.write(JSON.stringify({ key: m.key, partition: 0, offset: Number(offset) }) + '\n');
      offset += 1n;
    }
  } finally {
    await producer.disconnect();
  }
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`kafkajs_codecs: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});

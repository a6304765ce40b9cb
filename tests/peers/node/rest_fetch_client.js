#!/usr/bin/env node
// A browser-style REST Proxy client for Wharf's integration tests: JavaScript fetch (Node
// 20's built-in, the same API pages use) with a bearer token and an Origin, asking the
// CORS preflight first as a browser would and refusing answers that a browser would hide
// from the page (no matching Access-Control-Allow-Origin).
//
//   node rest_fetch_client.js --url U --token T --cluster C --topic X --origin O --count N
//
// Produces N records through v3 (one request each, JSON values) and N through v2 (one
// request, embedded JSON), then prints one JSON line per record:
// {"api":"v3"|"v2","partition","offset","value"}. Exit 0 on success, 1 on any refusal.
'use strict';

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      console.error(`bad argument ${argv[i]}`);
      process.exit(2);
    }
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ['url', 'token', 'cluster', 'topic', 'origin', 'count']) {
    if (!(required in args)) {
      console.error(`missing --${required}`);
      process.exit(2);
    }
  }
  return args;
}

// What a browser does before a cross-origin POST with Authorization and a JSON body.
async function preflight(args, url) {
  const res = await fetch(url, {
    method: 'OPTIONS',
    headers: {
      Origin: args.origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization, content-type',
    },
  });
  const allowed = res.headers.get('access-control-allow-origin');
  if (allowed !== args.origin && allowed !== '*') {
    throw new Error(`preflight for ${url} refused (status ${res.status}, origin ${allowed})`);
  }
  const headers = (res.headers.get('access-control-allow-headers') || '').toLowerCase();
  if (!headers.includes('authorization') || !headers.includes('content-type')) {
    throw new Error(`preflight does not allow the headers we need: ${headers}`);
  }
}

async function post(args, url, contentType, body) {
  await preflight(args, url);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      Origin: args.origin,
      Authorization: `Bearer ${args.token}`,
      'Content-Type': contentType,
    },
    body: JSON.stringify(body),
  });
  const allowed = res.headers.get('access-control-allow-origin');
  if (allowed !== args.origin && allowed !== '*') {
    throw new Error(`a browser would hide this answer from the page (status ${res.status})`);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const count = Number(args.count);
  const v3 = `${args.url}/v3/clusters/${args.cluster}/topics/${args.topic}/records`;
  for (let i = 0; i < count; i++) {
    const value = {source: 'fetch-v3', i};
    const report = await post(args, v3, 'application/json', {value: {type: 'JSON', data: value}});
    if (report.error_code !== 200) throw new Error(`v3 produce failed: ${JSON.stringify(report)}`);
    console.log(JSON.stringify(
        {api: 'v3', partition: report.partition_id, offset: report.offset, value}));
  }
  const values = Array.from({length: count}, (_, i) => ({source: 'fetch-v2', i}));
  const v2 = await post(args, `${args.url}/topics/${args.topic}`,
                        'application/vnd.kafka.json.v2+json',
                        {records: values.map((value) => ({value}))});
  v2.offsets.forEach((o, i) => {
    if (o.error_code !== null) throw new Error(`v2 produce failed: ${JSON.stringify(o)}`);
    console.log(JSON.stringify({api: 'v2', partition: o.partition, offset: o.offset,
                                value: values[i]}));
  });
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});

// A small closed-loop load generator, used only where wrk can't be had: `connections` keep-alive
// connections, each sending its next request as soon as the last answer is read, for `seconds`.
// One request ({ method, url, headers, body }), or `cycle`, a list of them sent in turn; an answer
// is an error unless 2xx/3xx, or unless `expectStatus` when that is given (a 404 floor).
// Prints { rps, requests, p50Ms, p90Ms, p99Ms, errors } as JSON.
import http from 'node:http';
import { percentile } from './util.mjs';

const config = JSON.parse(process.argv[2]);
const { seconds, connections, expectStatus } = config;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const cycle = (config.cycle ?? [config]).map(({ method, url, headers, body }) => {
  const target = new URL(url);
  const payload = body ? Buffer.from(body) : null;
  return {
    payload,
    options: {
      agent,
      method,
      hostname: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      headers: { ...headers, ...(payload ? { 'Content-Length': payload.length } : {}) },
    },
  };
});
const expected = expectStatus ? (status) => status === expectStatus : (status) => status >= 200 && status < 400;
let sent = 0;

function once() {
  const { options, payload } = cycle[sent++ % cycle.length];
  return new Promise((resolve) => {
    const request = http.request(options, (response) => {
      response.on('data', () => {});
      response.on('end', () => resolve(expected(response.statusCode)));
    });
    request.on('error', () => resolve(false));
    request.end(payload ?? undefined);
  });
}

const latencies = [];
let errors = 0;
const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
const loop = async () => {
  while (process.hrtime.bigint() < deadline) {
    const t0 = process.hrtime.bigint();
    const ok = await once();
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!ok) errors++;
  }
};
const start = process.hrtime.bigint();
await Promise.all(Array.from({ length: connections }, loop));
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
agent.destroy();
process.stdout.write(
  JSON.stringify({
    rps: latencies.length / elapsed,
    requests: latencies.length,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    errors,
  }),
);

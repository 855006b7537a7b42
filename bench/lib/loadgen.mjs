// A small closed-loop load generator, used only where wrk can't be had: `connections` keep-alive
// connections, each sending its next request as soon as the last answer is read, for `seconds`.
// Prints { rps, requests, p50Ms, p90Ms, p99Ms, errors } as JSON.
import http from 'node:http';
import { percentile } from './util.mjs';

const { method, url, headers, body, seconds, connections } = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const target = new URL(url);
const payload = body ? Buffer.from(body) : null;
const allHeaders = { ...headers, ...(payload ? { 'Content-Length': payload.length } : {}) };

function once() {
  return new Promise((resolve) => {
    const request = http.request(
      { agent, method, hostname: target.hostname, port: target.port, path: target.pathname + target.search, headers: allHeaders },
      (response) => {
        response.on('data', () => {});
        response.on('end', () => resolve(response.statusCode >= 200 && response.statusCode < 400));
      },
    );
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

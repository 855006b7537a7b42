// A body over 1 MiB reaches Node's fetch as the 413 it is, never as a network error (EPIPE or
// ECONNRESET: the server closing while the client still sends), for a few sizes, with and without
// a Content-Length, on a token route and an admin route. On SQLite always; on PostgreSQL too when
// a cluster is at hand (PGHOST, as scripts/with-postgres.sh sets it: `npm test` runs this
// file that way as well).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { startServer } from './harness.mjs';

const MiB = 1024 * 1024;
const SIZES = [MiB + 1, 2 * MiB, 4 * MiB, 8 * MiB];
const TRIES = 5;

const stores = [{ name: 'SQLite' }];
if (process.env.PGHOST) {
  stores.push({
    name: 'PostgreSQL',
    database() {
      const name = `credport_js_${crypto.randomBytes(6).toString('hex')}`;
      execFileSync('createdb', [name]);
      return `postgres://${process.env.PGUSER ?? 'postgres'}@/${name}?host=${process.env.PGHOST}&port=${process.env.PGPORT ?? 5432}`;
    },
  });
}

const servers = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

/** A JSON body of exactly `size` bytes. */
function bodyOf(size) {
  const head = '{"name":"n","subject":"s","description":"';
  const tail = '"}';
  return head + 'x'.repeat(size - head.length - tail.length) + tail;
}

/** The same bytes as a stream, so that fetch sends them chunked, without a Content-Length. */
function streamOf(text) {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + 64 * 1024));
      offset += 64 * 1024;
    },
  });
}

async function expect413(url, headers, body, what) {
  let response;
  try {
    response = await fetch(url, { method: 'POST', headers, body, ...(typeof body === 'string' ? {} : { duplex: 'half' }) });
  } catch (error) {
    assert.fail(`${what}: a network error instead of the 413: ${error.cause?.code ?? ''} ${error.message}`);
  }
  assert.equal(response.status, 413, what);
  const answer = await response.json();
  assert.equal(answer.error.code, 'payload_too_large', what);
  assert.ok(response.headers.get('x-request-id'), what);
}

for (const store of stores) {
  test(`bodies over 1 MiB are answered 413 on ${store.name}`, async () => {
    const server = await startServer(store.database ? { database: store.database() } : {});
    servers.push(server);
    const { token } = await server.site();
    const { id: site } = await server.admin('POST', '/v1/admin/sites', { name: 'oversized' });
    const targets = [
      { route: '/v1/api_keys', auth: token },
      { route: `/v1/admin/sites/${site}/connections`, auth: server.adminToken },
    ];
    for (const size of SIZES) {
      const text = bodyOf(size);
      for (const { route, auth } of targets) {
        const headers = { authorization: `Bearer ${auth}`, 'content-type': 'application/json' };
        for (let i = 0; i < TRIES; i++) {
          await expect413(`${server.url}${route}`, headers, text, `${size} bytes to ${route}, try ${i + 1}`);
        }
        await expect413(`${server.url}${route}`, headers, streamOf(text), `${size} bytes chunked to ${route}`);
      }
    }
    // The connection is still good for the next request, and the server for the next client.
    const listed = await fetch(`${server.url}/v1/api_keys`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(listed.status, 200);
  });
}

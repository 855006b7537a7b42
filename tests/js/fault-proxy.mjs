// A loopback HTTP proxy that injects faults between the SDK and the real credport-server.
//
// Every request that reaches it is one *attempt*: it is recorded (method, path, Idempotency-Key,
// time, what the upstream answered) and handled by the next step of the plan, or passed through
// when the plan is empty. Steps:
//
//   { pass: true }                         forward, answer as the server did
//   { close: true }                        close the connection before forwarding (nothing reaches the server)
//   { cut: true }                          forward, wait for the server's whole answer, then close the
//                                          connection without a byte of it (the server acted; the client never knows)
//   { resetMidBody: true }                 forward, send the status, headers and half the body, then reset
//   { status, headers?, body? }            answer this without forwarding
//   { delay: ms }                          forward at once, hold the server's answer `ms` before sending it
//   { rewrite: (text, status) => text }    forward, answer with the body rewritten (content-length fixed)
//
// `refuse()` stops listening and drops every open connection, so that connecting is refused
// (ECONNREFUSED) until `accept()` listens again on the same port.
import http from 'node:http';

export async function startFaultProxy(upstream) {
  const target = new URL(upstream);
  const attempts = [];
  /** Waiters of `arrived(n)`: each resolved once `n` attempts have reached the proxy. */
  let waiters = [];
  let plan = [];
  const sockets = new Set();

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  server.keepAliveTimeout = 1000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function forward(req, body) {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host };
      delete headers.connection;
      const upstreamReq = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: false },
        (upstreamRes) => {
          const parts = [];
          upstreamRes.on('data', (c) => parts.push(c));
          upstreamRes.on('end', () =>
            resolve({ status: upstreamRes.statusCode, headers: upstreamRes.headers, body: Buffer.concat(parts) }),
          );
          upstreamRes.on('error', reject);
        },
      );
      upstreamReq.on('error', reject);
      upstreamReq.end(body);
    });
  }

  function send(res, status, headers, body) {
    const out = { ...headers };
    delete out['transfer-encoding'];
    delete out.connection;
    delete out['keep-alive'];
    out['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(status, out);
    res.end(body);
  }

  async function handle(req, res, body) {
    const step = plan.shift() ?? { pass: true };
    const attempt = {
      method: req.method,
      path: req.url,
      idempotencyKey: req.headers['idempotency-key'] ?? null,
      at: Date.now(),
      step: Object.keys(step)[0],
      upstream: null,
    };
    attempts.push(attempt);
    waiters = waiters.filter(({ count, resolve }) => (attempts.length >= count ? (resolve(), false) : true));
    try {
      if (step.close) {
        req.socket.destroy();
        return;
      }
      if (step.status !== undefined) {
        send(res, step.status, step.headers ?? {}, step.body ?? '');
        return;
      }
      const answer = await forward(req, body);
      attempt.upstream = { status: answer.status, replayed: answer.headers['idempotent-replayed'] === 'true' };
      if (step.cut) {
        req.socket.destroy();
        return;
      }
      if (step.resetMidBody) {
        const headers = { ...answer.headers, 'content-length': String(answer.body.length) };
        delete headers['transfer-encoding'];
        res.writeHead(answer.status, headers);
        res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
        // Let the head and the half body leave before the reset.
        setTimeout(() => req.socket.resetAndDestroy(), 20);
        return;
      }
      if (step.delay) await new Promise((resolve) => setTimeout(resolve, step.delay));
      const text = step.rewrite ? step.rewrite(answer.body.toString('utf8'), answer.status) : answer.body;
      if (!res.destroyed) send(res, answer.status, answer.headers, text);
    } catch (error) {
      attempt.error = String(error);
      if (!res.headersSent) send(res, 599, {}, `fault proxy: ${error}`);
    }
  }

  const listen = (port) => new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listen(0);
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    /** Replaces the plan: the next requests get these steps, in order, then pass through. */
    plan(...steps) {
      plan = steps;
      attempts.length = 0;
    },
    /** Resolves once `count` attempts of the current plan have reached the proxy. */
    arrived(count) {
      if (attempts.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    /** Steps not used yet. */
    get pending() {
      return plan.length;
    },
    /** Stop listening and drop every connection: connecting is refused until accept(). */
    async refuse() {
      await new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
    async accept() {
      await listen(port);
    },
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

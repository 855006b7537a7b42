// A site's own receiver of credport webhooks: node:http, no framework. Every delivery is checked
// with verifyWebhook before anything is believed: the signature over the raw body (so the body is
// read as bytes, never parsed first) and a timestamp within five minutes. A delivery may come
// more than once (at least once, retried after failures): the event id makes handling it again
// harmless.
//
//   CREDPORT_WEBHOOK_SECRET=whsec_… PORT=4000 node receiver.mjs
//
// The secret is the one the create answer showed (POST /v1/admin/sites/{site}/webhook_endpoints).
import http from 'node:http';
import { verifyWebhook, WebhookVerificationError } from 'credport';

const secret = process.env.CREDPORT_WEBHOOK_SECRET;
if (!secret) {
  console.error('set CREDPORT_WEBHOOK_SECRET to the endpoint secret (whsec_…)');
  process.exit(1);
}
const port = Number(process.env.PORT ?? 4000);
/** Event ids already handled; a real service keeps them in its database. */
const seen = new Set();
const MAX_BODY = 256 * 1024;

function handle(event) {
  switch (event.type) {
    case 'connection.invalidated':
      console.log(`connection ${event.target.id} needs new credentials (${event.data?.refresh_error})`);
      break;
    case 'credentials.read':
      console.log(`credentials of ${event.target.id} read by token ${event.actor.tokenId ?? '(admin)'}`);
      break;
    default:
      console.log(`${event.type} ${event.target.type} ${event.target.id}`);
  }
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    let event;
    try {
      event = verifyWebhook(secret, req.headers, Buffer.concat(chunks));
    } catch (error) {
      // Not from your credport-server, changed on the way, or replayed late: refuse it.
      const status = error instanceof WebhookVerificationError ? 400 : 500;
      res.writeHead(status).end();
      console.warn(`refused a delivery: ${error.message}`);
      return;
    }
    if (!seen.has(event.id)) {
      seen.add(event.id);
      handle(event);
    }
    // Answer 2xx quickly; anything else (or no answer in 10 s) makes credport try again later.
    res.writeHead(204).end();
  });
});

server.listen(port, () => console.log(`receiving credport webhooks on http://localhost:${server.address().port}/`));

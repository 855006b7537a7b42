// The SDKs compared, each as "construct a client and make one call" (weight) and "construct a
// client" (cold start). credport resolves to the repository's dist/ through a link in
// bench/node_modules (see run.mjs); the others come from bench/package.json.

export const sdks = [
  {
    name: 'credport',
    pkg: 'credport',
    call: `import { Credport } from 'credport';
const client = new Credport({ apiKey: 'cpat_bench', baseUrl: 'https://credport.example', dangerouslyAllowBrowser: true });
client.connections.list().then((page) => console.log(page.count));
`,
    construct: `const { Credport } = await import('credport');
const client = new Credport({ apiKey: 'cpat_bench', baseUrl: 'http://127.0.0.1:9' });`,
  },
  {
    name: 'openai',
    pkg: 'openai',
    call: `import OpenAI from 'openai';
const client = new OpenAI({ apiKey: 'sk-bench', dangerouslyAllowBrowser: true });
client.models.list().then((page) => console.log(page.data.length));
`,
    construct: `const { default: OpenAI } = await import('openai');
const client = new OpenAI({ apiKey: 'sk-bench' });`,
  },
  {
    name: '@clerk/backend',
    pkg: '@clerk/backend',
    call: `import { createClerkClient } from '@clerk/backend';
const client = createClerkClient({ secretKey: 'sk_test_bench' });
client.users.getUserList().then((list) => console.log(list.totalCount));
`,
    construct: `const { createClerkClient } = await import('@clerk/backend');
const client = createClerkClient({ secretKey: 'sk_test_bench' });`,
  },
  {
    name: '@unkey/api',
    pkg: '@unkey/api',
    call: `import { Unkey } from '@unkey/api';
const client = new Unkey({ rootKey: 'unkey_bench' });
client.keys.verifyKey({ key: 'key_bench' }).then((result) => console.log(result.data.valid));
`,
    construct: `const { Unkey } = await import('@unkey/api');
const client = new Unkey({ rootKey: 'unkey_bench' });`,
  },
];

/** Cold start only: Node itself, importing nothing, for scale. */
export const baseline = {
  name: 'node (no SDK)',
  pkg: null,
  construct: 'const client = {};',
};

// The credport command: parses argv, calls the SDK, prints the result; returns the exit code
// (0 success, 1 an API or network error, 2 a usage error). Streams and environment come in as
// arguments so that nothing here reaches for globals but the SDK import.
import fs from 'node:fs';
import { UsageError, bindArgs, globalFlags, parse } from './args.mjs';
import { commands } from './commands.mjs';
import { clean, useColor } from './format.mjs';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

function version() {
  try {
    return JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------- help

function listLines(rows) {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`).join('\n');
}

function flagLines(flags) {
  return listLines(
    Object.entries(flags).map(([name, def]) => [
      `${def.short ? `-${def.short}, ` : ''}--${name}${def.value ? ` ${def.value}` : ''}`,
      def.help,
    ]),
  );
}

const environment = listLines([
  ['CREDPORT_API_KEY', 'Personal access token, when --api-key is not given'],
  ['CREDPORT_BASE_URL', 'Server address, when --base-url is not given'],
  ['NO_COLOR', 'Set to a non-empty value to turn colour off'],
  ['CREDPORT_LOG', "The SDK's request log on stderr: debug, info, warn (default), error, off"],
]);

const exitCodes = 'Exit codes: 0 success, 1 API or network error, 2 usage error.';

function usageOf(path, node) {
  const args = (node.args ?? []).map((a) => ` ${a.name}`).join('');
  const required = Object.entries(node.flags ?? {})
    .filter(([, def]) => /\(required\)/.test(def.help))
    .map(([name, def]) => ` --${name} ${def.value}`)
    .join('');
  return `credport ${path.join(' ')}${args}${required} [flags]`;
}

export function helpText(path) {
  if (path.length === 0) {
    const rows = [];
    for (const [name, group] of Object.entries(commands)) {
      for (const [sub, node] of Object.entries(group.subcommands)) {
        rows.push([`${name} ${sub}${(node.args ?? []).map((a) => ` ${a.name}`).join('')}`, node.summary]);
      }
    }
    return [
      'credport: the connections, API keys and personal access tokens of a credport site',
      '',
      'Usage:',
      '  credport <command> <subcommand> [arguments] [flags]',
      '',
      'Commands:',
      listLines(rows),
      '',
      'Global flags:',
      flagLines(globalFlags),
      '',
      'Environment:',
      environment,
      '',
      exitCodes,
      "Run 'credport <command> <subcommand> --help' for the flags of a command.",
      '',
    ].join('\n');
  }
  const group = commands[path[0]];
  if (path.length === 1) {
    const rows = Object.entries(group.subcommands).map(([sub, node]) => [
      `${sub}${(node.args ?? []).map((a) => ` ${a.name}`).join('')}`,
      node.summary,
    ]);
    return [
      `credport ${path[0]}: ${group.summary}`,
      '',
      'Usage:',
      `  credport ${path[0]} <subcommand> [arguments] [flags]`,
      '',
      'Subcommands:',
      listLines(rows),
      '',
      'Global flags:',
      flagLines(globalFlags),
      '',
      `Run 'credport ${path[0]} <subcommand> --help' for the flags of a subcommand.`,
      '',
    ].join('\n');
  }
  const node = group.subcommands[path[1]];
  const parts = [`credport ${path.join(' ')}: ${node.summary}`, ''];
  if (node.description) parts.push(node.description, '');
  parts.push('Usage:', `  ${usageOf(path, node)}`, '');
  if (node.args?.length) parts.push('Arguments:', listLines(node.args.map((a) => [a.name, a.help])), '');
  if (node.flags && Object.keys(node.flags).length) parts.push('Flags:', flagLines(node.flags), '');
  parts.push('Global flags:', flagLines(globalFlags), '');
  if (node.examples?.length) parts.push('Examples:', ...node.examples.map((e) => `  ${e}`), '');
  parts.push(exitCodes, '');
  return parts.join('\n');
}

// ---------------------------------------------------------------- errors

function kebab(name) {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * SDK argument names in a message (`params.pageSize`, `options.baseUrl`) as what set them: a flag,
 * or the environment variable named in `fromEnv` (by SDK name) when that gave the value.
 */
function flagNames(message, fromEnv = {}) {
  return message.replace(/\b(?:params|options)\.([A-Za-z]+)(?:\[\d+\])?/g, (_, key) => fromEnv[key] ?? `--${kebab(key)}`);
}

/** Removes the API key from text printed about an error, should it ever be there. */
function scrub(text, apiKey) {
  return apiKey && apiKey.length >= 4 ? text.split(apiKey).join('[redacted]') : text;
}

const hints = {
  401: 'hint: the server refused the API key: check --api-key or CREDPORT_API_KEY',
  403: 'hint: the API key lacks the scope this command needs',
};

// ---------------------------------------------------------------- running

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** JSON for scripts: absent values as null, as the SDK documents them. */
function toJson(value) {
  return `${JSON.stringify(value, (_, v) => (v === undefined ? null : v), 2)}\n`;
}

/**
 * Runs the command line `argv` (without `node` and the script) and resolves to the exit code.
 * `io`: `{ env, stdout, stderr, stdin, loadSdk }`; `stdout`/`stderr` are writable streams.
 */
export async function main(argv, io) {
  const { env, stdout, stderr } = io;
  const out = (text) => stdout.write(text);
  const err = (text) => stderr.write(text);
  let apiKey;
  let sdk;

  let parsed;
  try {
    parsed = parse(argv, commands);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const at = error.command?.length ? `credport ${error.command.join(' ')}` : 'credport';
    err(`error: ${error.message}\nRun '${at} --help' for usage.\n`);
    return EXIT_USAGE;
  }
  const { path, positionals, flags } = parsed;

  if (parsed.help) {
    out(helpText(path));
    return EXIT_OK;
  }
  if (flags.version) {
    out(`credport ${version()}\n`);
    return EXIT_OK;
  }
  if (path.length < 2) {
    if (path.length === 0) {
      err(`${helpText([])}\nerror: no command given\n`);
    } else {
      const subs = Object.keys(commands[path[0]].subcommands).join(', ');
      err(`error: 'credport ${path[0]}' needs a subcommand (${subs})\nRun 'credport ${path[0]} --help' for usage.\n`);
    }
    return EXIT_USAGE;
  }

  const node = commands[path[0]].subcommands[path[1]];
  const usage = (message) => {
    err(`error: ${message}\nRun 'credport ${path.join(' ')} --help' for usage.\n`);
    return EXIT_USAGE;
  };

  try {
    const args = bindArgs(node, path, positionals);
    apiKey = flags.apiKey ?? env.CREDPORT_API_KEY;
    if (apiKey === undefined || apiKey === '') {
      return usage('no API key: pass --api-key or set CREDPORT_API_KEY (a personal access token, cpat_…)');
    }
    const baseUrl = flags.baseUrl ?? (env.CREDPORT_BASE_URL || undefined);
    sdk = await io.loadSdk();
    // The SDK's log lines (CREDPORT_LOG=debug) go to stderr: stdout is for the result alone.
    const log = (line) => err(`${clean(line)}\n`);
    const logger = { debug: log, info: log, warn: log, error: log };
    const client = new sdk.Credport({ apiKey, logger, ...(baseUrl !== undefined ? { baseUrl } : {}) });
    const color = useColor({ flags, env, stream: stdout });
    const result = await node.run({ client, flags, args, stdin: () => readAll(io.stdin) });
    out(flags.json ? toJson(result) : node.render(result, { color, flags }));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    if (error?.name === 'InvalidArgumentError') {
      // `id must not be empty` → `ID must not be empty`, as the help names the argument.
      const arg = (node.args ?? []).find((a) => a.name.toLowerCase() === error.argument);
      const message = arg ? error.message.replace(new RegExp(`^${error.argument}\\b`), arg.name) : error.message;
      const fromEnv = {
        ...(flags.apiKey === undefined ? { apiKey: 'CREDPORT_API_KEY' } : {}),
        ...(flags.baseUrl === undefined ? { baseUrl: 'CREDPORT_BASE_URL' } : {}),
      };
      return usage(scrub(flagNames(message, fromEnv), apiKey));
    }
    // A server's words and ids are its own: cleaned, so that they cannot move the cursor or fake
    // another line.
    if (sdk && error instanceof sdk.APIError) {
      const rid = error.requestId ? ` (request id: ${clean(error.requestId)})` : '';
      err(`error: ${clean(scrub(error.message, apiKey))}${rid}\n`);
      if (hints[error.status]) err(`${hints[error.status]}\n`);
      return EXIT_ERROR;
    }
    err(`error: ${clean(scrub(error instanceof Error ? error.message : String(error), apiKey))}\n`);
    return EXIT_ERROR;
  }
}

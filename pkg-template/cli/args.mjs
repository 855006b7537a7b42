// Command-line parsing of the credport command, without dependencies: global flags anywhere,
// `--flag value` and `--flag=value`, repeatable flags, `--` to end the flags. Every mistake is a
// UsageError (exit code 2) whose message names the command, the flag or the argument at fault.

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {
  constructor(message, { command } = {}) {
    super(message);
    this.name = 'UsageError';
    /** The command path (`['api-keys', 'create']`) whose help fits the mistake, when known. */
    this.command = command ?? null;
  }
}

/** Flags every command takes. */
export const globalFlags = {
  'api-key': { value: 'KEY', help: 'Personal access token (cpat_…); default: $CREDPORT_API_KEY' },
  'base-url': { value: 'URL', help: 'Server address; default: $CREDPORT_BASE_URL, else http://127.0.0.1:8787' },
  json: { help: 'Print the result as JSON on stdout, for scripts' },
  'no-color': { help: 'Never colour the output (also: NO_COLOR set to anything)' },
  help: { short: 'h', help: 'Show help for the command' },
  version: { help: 'Print the version of credport' },
};

/** Edit distance, for "did you mean" (short words only, so the quadratic cost is nothing). */
function distance(a, b) {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

/** `; did you mean 'list'?` when one candidate is close to `word`, else nothing. */
function suggest(word, candidates, prefix = '') {
  const best = candidates
    .map((c) => [c, distance(word.toLowerCase(), c)])
    .filter(([c, d]) => d <= Math.min(2, Math.floor(c.length / 3) + 1))
    .sort((x, y) => x[1] - y[1])[0];
  return best ? `; did you mean '${prefix}${best[0]}'?` : '';
}

/** `--page-size` → `pageSize`. */
export function camel(flag) {
  return flag.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

/**
 * Splits argv into the command path, its positional arguments and its flag values.
 * `spec` is the command tree (see commands.mjs): `{ [name]: { subcommands: { [name]: { flags, args } } } }`.
 * Flags of a subcommand are known only once it is named, so they must come after it.
 * Returns `{ path, positionals, flags }`; `flags` keys are camelCase, repeatable flags are arrays.
 * With `--help` anywhere, parsing stops at the first mistake and returns `help: true` instead
 * of throwing, so that the help of what could be understood is shown.
 */
export function parse(argv, spec) {
  const path = [];
  const positionals = [];
  const flags = {};
  let help = false;
  let node = null; // the subcommand spec once known
  let endOfFlags = false;
  const wantsHelp = argv.some((a, i) => (a === '--help' || a === '-h') && !argv.slice(0, i).includes('--'));

  const known = () => ({ ...globalFlags, ...(node?.flags ?? {}) });
  const where = () => (path.length ? `'credport ${path.join(' ')}'` : "'credport'");

  try {
    for (let i = 0; i < argv.length; i++) {
      const token = argv[i];
      if (!endOfFlags && token === '--') {
        endOfFlags = true;
        continue;
      }
      if (!endOfFlags && token.startsWith('-') && token !== '-') {
        let name;
        let inline;
        if (token.startsWith('--')) {
          const eq = token.indexOf('=');
          name = eq === -1 ? token.slice(2) : token.slice(2, eq);
          inline = eq === -1 ? undefined : token.slice(eq + 1);
        } else {
          const short = Object.entries(known()).find(([, def]) => def.short === token.slice(1));
          if (!short || token.length !== 2) {
            // Only the flag, not what follows its `=`: `-api-key=cpat_…` must not print the key.
            throw new UsageError(`unknown flag ${echoed(token.split('=')[0])} for ${where()}`, { command: path });
          }
          name = short[0];
        }
        const flags_ = known();
        const def = Object.hasOwn(flags_, name) ? flags_[name] : undefined;
        if (!def) {
          const hint = !node && path.length < 2 ? ' (flags of a command go after it)' : suggest(name, Object.keys(flags_), '--');
          throw new UsageError(`unknown flag --${name} for ${where()}${hint}`, { command: path });
        }
        const key = camel(name);
        if (!def.value) {
          if (inline !== undefined) throw new UsageError(`--${name} does not take a value`, { command: path });
          if (name === 'help') help = true;
          flags[key] = true;
          continue;
        }
        let value = inline;
        if (value === undefined) {
          const next = argv[i + 1];
          const nextIsFlag = next !== undefined && next.startsWith('--') && next.length > 2 && Object.hasOwn(flags_, next.slice(2).split('=')[0]);
          if (next === undefined || nextIsFlag) {
            throw new UsageError(`--${name} needs a value (${def.value})`, { command: path });
          }
          value = next;
          i++;
        }
        if (def.repeat) (flags[key] ??= []).push(value);
        else flags[key] = value;
        continue;
      }
      // A positional: the command, then the subcommand, then the subcommand's arguments.
      if (path.length === 0) {
        if (!Object.hasOwn(spec, token)) {
          const names = Object.keys(spec);
          throw new UsageError(`unknown command '${token}' (commands: ${names.join(', ')})${suggest(token, names)}`, {
            command: [],
          });
        }
        path.push(token);
      } else if (path.length === 1) {
        const subs = spec[path[0]].subcommands;
        if (!Object.hasOwn(subs, token)) {
          throw new UsageError(
            `unknown command '${token}' for 'credport ${path[0]}' (commands: ${Object.keys(subs).join(', ')})` +
              suggest(token, Object.keys(subs)),
            { command: path },
          );
        }
        path.push(token);
        node = subs[token];
      } else {
        positionals.push(token);
      }
    }
  } catch (error) {
    if (wantsHelp && error instanceof UsageError) return { path, positionals, flags, help: true };
    throw error;
  }
  return { path, positionals, flags, help };
}

/**
 * `text` quoted for an error message, unless it looks like a key pasted in the wrong place (a
 * credport token or key, a webhook secret, or any long unbroken run of a token's characters):
 * error messages never show a secret.
 */
function echoed(text) {
  return /^-*(cpat_|cpk_|whsec_)/.test(text) || /^[\w-]{33,}$/.test(text) ? '(not shown: it looks like a key)' : `'${text}'`;
}

/** Checks the positional arguments against the spec's `args` (`[{ name, help }]`): `{ NAME: value }`. */
export function bindArgs(node, path, positionals) {
  const names = node.args ?? [];
  if (positionals.length < names.length) {
    const missing = names[positionals.length].name;
    throw new UsageError(`'credport ${path.join(' ')}' needs ${missing}`, { command: path });
  }
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${echoed(positionals[names.length])} for 'credport ${path.join(' ')}'`, {
      command: path,
    });
  }
  return Object.fromEntries(names.map((arg, i) => [arg.name, positionals[i]]));
}

/** A whole number from a flag value; anything else is a usage error naming the flag. */
export function integer(flags, flag) {
  const value = flags[camel(flag)];
  if (value === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(value.trim())) {
    throw new UsageError(`--${flag} must be a whole number, got '${value}'`);
  }
  return Number(value);
}

/** JSON from a flag value; bad JSON is a usage error naming the flag. */
export function json(flags, flag) {
  const value = flags[camel(flag)];
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new UsageError(`--${flag} must be JSON: ${error.message}`);
  }
}

/** `--scope a --scope b` and `--scopes a,b`, together; undefined when neither was given. */
export function scopes(flags) {
  if (flags.scope === undefined && flags.scopes === undefined) return undefined;
  const list = [...(flags.scope ?? [])];
  for (const value of flags.scopes ?? []) list.push(...value.split(','));
  return list.map((s) => s.trim()).filter((s) => s !== '');
}

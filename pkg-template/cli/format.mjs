// Output for people: aligned tables, key/value blocks, statuses in colour where colour is welcome.

const ansi = { green: 32, yellow: 33, red: 31, bold: 1, dim: 2 };

/**
 * Whether to colour: never with --no-color or NO_COLOR (any non-empty value, see no-color.org);
 * otherwise when FORCE_COLOR asks for it (non-empty, not 0) or stdout is a terminal.
 */
export function useColor({ flags, env, stream }) {
  if (flags.noColor) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export function paint(color, text, enabled) {
  return enabled ? `\x1b[${ansi[color]}m${text}\x1b[0m` : text;
}

const statusColors = {
  active: 'green',
  valid: 'green',
  inactive: 'yellow',
  invalid: 'red',
  revoked: 'red',
  expired: 'red',
  not_found: 'red',
};

/** A status (`active`, `REVOKED`, `VALID`, ...) in its colour; unknown statuses stay plain. */
export function status(value, enabled) {
  const color = statusColors[String(value).toLowerCase()];
  return color ? paint(color, value, enabled) : String(value);
}

const escapes = /\x1b\[[0-9;]*m/g;

/** Width on screen: code points, without colour escapes. */
function width(text) {
  return [...text.replace(escapes, '')].length;
}

/** Cell text: empty values as `-`, lists joined, objects as JSON, control characters escaped. */
export function cell(value) {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.map(cell).join(',') : '-';
  // JSON.stringify escapes C0 controls but leaves C1 ones (U+0080–U+009F) raw.
  if (typeof value === 'object') return clean(JSON.stringify(value));
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return clean(String(value));
}

/** Strips what could move the cursor or recolour a terminal out of server-supplied text (C0 and
 * C1 controls, escape sequences' introducers among them). */
export function clean(text) {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).replace(/\n/g, '\\n');
}

/**
 * An aligned table: `columns` is `[{ header, value: (row) => value, status?: true }]`.
 * Cells are padded on their plain text, then coloured, so colour never shifts a column.
 */
export function table(rows, columns, { color = false } = {}) {
  const cells = rows.map((row) => columns.map((col) => cell(col.value(row))));
  const widths = columns.map((col, i) => Math.max(width(col.header), ...cells.map((r) => width(r[i]))));
  const line = (parts) => parts.join('  ').replace(/ +$/, '');
  const pad = (text, i) => ' '.repeat(widths[i] - width(text));
  const out = [line(columns.map((col, i) => paint('bold', col.header, color) + pad(col.header, i)))];
  for (const row of cells) {
    out.push(line(row.map((text, i) => (columns[i].status ? status(text, color) : text) + pad(text, i))));
  }
  return `${out.join('\n')}\n`;
}

/** `label  value` lines, labels aligned: `pairs` is `[[label, value, { status? }]]`. */
export function details(pairs, { color = false } = {}) {
  if (pairs.length === 0) return '';
  const labelWidth = Math.max(...pairs.map(([label]) => width(clean(label))));
  return (
    pairs
      .map(([rawLabel, value, opts = {}]) => {
        const label = clean(rawLabel);
        const text = cell(value);
        const shown = opts.status && text !== '-' ? status(text, color) : text;
        return `${paint('dim', `${label}:`, color)}${' '.repeat(labelWidth - width(label))}  ${shown}`;
      })
      .join('\n') + '\n'
  );
}

// Reading form input into the admin client's parameters. A mistake found here is said next to
// the field, in the same place as the API's own errors (they are thrown as errors).

/** A list typed as words separated by spaces or commas: `read, write` → ['read', 'write']. */
export function words(text) {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** A JSON object typed in a text area (blank → `{}`); throws, naming `label`, when it is not one. */
export function jsonObject(text, label) {
  if (!text.trim()) return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${label}: not JSON (${error.message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${label}: must be a JSON object, such as {"key": "value"}`);
  return value;
}

/** A trimmed text, or undefined when blank (the parameter is then left out). */
export function optional(text) {
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * An edited text the API can change but not remove: [`optional`], refused, naming `label`, when it
 * was set and is now blank. The API keeps a field left out of an update, so a cleared one would
 * silently stay while the save said it worked.
 */
export function changedNotRemoved(text, before, label) {
  const value = optional(text);
  if (before && value === undefined) throw new Error(`${label}: it can be changed, not removed.`);
  return value;
}

/** A `datetime-local` input's value as an RFC 3339 time (the browser's zone), or undefined. */
export function localTime(text) {
  return text ? new Date(text).toISOString() : undefined;
}

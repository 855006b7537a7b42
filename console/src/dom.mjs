// The console's few building blocks: elements, times, errors, busy buttons, dialogs, copying.
// Plain DOM: the page is small, and every text goes in as text (never parsed as HTML).

/**
 * An element: `h('button', { type: 'button', onclick }, 'Save')`. Attributes starting with `on`
 * are listeners; `dataset` and `class` are set as such; `false`, `null` and `undefined` leave an
 * attribute out; children are nodes or text (arrays are flattened, null skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const exact = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'long' });
const UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** "in 3 days", "5 minutes ago": the largest unit in which the time is at least one, rounded. */
export function fromNow(date, now = Date.now()) {
  const seconds = (date.getTime() - now) / 1000;
  for (const [unit, size] of UNITS) {
    const count = Math.round(seconds / size);
    if (count !== 0) return relative.format(count, unit);
  }
  return relative.format(0, 'second');
}

/**
 * A time as a person reads it: relative in the text, exact on hover (`title`) and in the
 * machine-readable `datetime`. `prefix` reads before it ("expires", "expired"); `none` when absent.
 */
export function time(iso, { none = '—', prefix } = {}) {
  if (!iso) return h('span', { class: 'muted' }, none);
  const date = new Date(iso);
  return h('time', { datetime: iso, title: exact.format(date), dataset: { prefix: prefix ?? '' } }, relativeText(date, prefix));
}

function relativeText(date, prefix) {
  const text = fromNow(date);
  return prefix ? `${prefix} ${text}` : text;
}

/**
 * Says every shown time again each half minute: a page left open would otherwise keep saying
 * "1 second ago" (or "expires in 2 minutes") long after it stopped being true.
 */
export function keepTimesCurrent() {
  setInterval(() => {
    for (const element of document.querySelectorAll('time[datetime]')) {
      element.textContent = relativeText(new Date(element.dateTime), element.dataset.prefix);
    }
  }, 30_000);
}

/** What an error says to a person: the API's message and its request id, or the error's own text. */
export function describeError(error) {
  const message = error?.message || String(error);
  return error?.requestId ? `${message} (request ${error.requestId})` : message;
}

/** The element for an error next to what caused it: `role=alert`, read out when it appears. */
export function errorBox(error) {
  return h('p', { class: 'error', role: 'alert' }, describeError(error));
}

/**
 * Runs `work` with `button` showing that it waits (disabled, `aria-busy`, its label changed to
 * `busyLabel`), then restores it. Errors go to `place` (an element that receives the error box
 * in place of what it held), and focus goes back to the button when the wait lost it (a disabled
 * button loses focus to the body); on success `place` is emptied. With `leaving`, a success
 * leaves the button waiting: the page is about to go elsewhere, and a second click would do the
 * work twice. Returns the result (`true` for a call that resolves to nothing, such as a delete),
 * or undefined after an error.
 */
export async function busy(button, busyLabel, place, work, { leaving = false } = {}) {
  const label = button?.textContent;
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = busyLabel;
  }
  place?.replaceChildren();
  let failed = false;
  try {
    return (await work()) ?? true;
  } catch (error) {
    failed = true;
    place?.replaceChildren(errorBox(error));
    return undefined;
  } finally {
    if (button?.isConnected && (failed || !leaving)) {
      const lost = document.activeElement === document.body;
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = label;
      if (failed && lost) button.focus();
    }
  }
}

/**
 * A list that reloads in place (`h('div', { class: 'list', tabindex: -1 })`) showing `content`.
 * When focus was in the list (on a row's button), or had already been lost (that button was
 * disabled while it waited: the browser then moves focus to the body), focus goes to the list
 * instead of falling back to the top of the page: a keyboard user carries on from where they were.
 */
export function showInList(list, ...content) {
  const active = document.activeElement;
  const inList = !active || active === document.body || list.contains(active);
  list.replaceChildren(...content);
  if (inList) list.focus({ preventScroll: true });
}

/** A loading line for a list or page being fetched. */
export function loading(what) {
  return h('p', { class: 'loading', role: 'status', 'aria-live': 'polite' }, `Loading ${what}…`);
}

/**
 * A modal dialog (`<dialog>`, so Escape closes it and focus stays inside). `build(close)`
 * returns its content; `wide` for a table of several columns. The dialog is removed from the
 * page when it closes, with everything it showed (a secret shown once included). Resolves with
 * the value given to `close`.
 */
export function dialog(title, build, { wide = false } = {}) {
  return new Promise((resolve) => {
    let result;
    const titleId = `dialog-${Math.random().toString(36).slice(2)}`;
    const element = h('dialog', { 'aria-labelledby': titleId, class: wide ? 'wide' : null });
    const close = (value) => {
      result = value;
      element.close();
    };
    element.addEventListener('close', () => {
      element.replaceChildren();
      element.remove();
      resolve(result);
    });
    element.append(h('h2', { id: titleId }, title), build(close));
    document.body.append(element);
    element.showModal();
  });
}

/** Asks before something that cannot be undone; resolves true when confirmed. */
export function confirmAction(title, question, actionLabel) {
  return dialog(title, (close) =>
    h(
      'div',
      {},
      h('p', {}, question),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', onclick: () => close(false), autofocus: true }, 'Cancel'),
        h('button', { type: 'button', class: 'danger', onclick: () => close(true) }, actionLabel),
      ),
    ),
  );
}

/**
 * A value with a button that copies it. `secret` values sit in a read-only field (selectable
 * by hand when the clipboard is refused) and are gone with the dialog that shows them.
 */
export function copyable(value, label) {
  const status = h('span', { class: 'copy-status', role: 'status', 'aria-live': 'polite' });
  const field = h('input', { type: 'text', readonly: true, value, 'aria-label': label, class: 'copy-value', spellcheck: 'false', autocomplete: 'off' });
  const button = h('button', {
    type: 'button',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(field.value);
        status.textContent = 'Copied.';
      } catch {
        field.select();
        status.textContent = 'The browser refused the clipboard: the text is selected, copy it with Ctrl+C.';
      }
    },
  }, 'Copy');
  return h('div', { class: 'copy' }, field, button, status);
}

/** Makes the ids of the elements that other elements refer to. */
let fieldCount = 0;

/**
 * A secret shown once, in place of the form that made it: `message` says what it is, the value
 * can be copied, and Done closes. Focus moves to the value (the form's button that had it is
 * gone), so a keyboard or screen reader user lands on what was just made.
 */
export function showOnce(form, { message, value, label, done }) {
  const text = h('p', { id: `once-${++fieldCount}` }, message);
  const shown = h('div', { class: 'secret-once' }, text, copyable(value, label),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: done }, 'Done')));
  const input = shown.querySelector('input');
  input.setAttribute('aria-describedby', text.id);
  form.replaceWith(shown);
  input.focus();
}

/** A labelled form field; `input` is the control (its `id` is made here). */
export function field(label, input, hint) {
  const id = input.id || `field-${++fieldCount}`;
  input.id = id;
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('small', { id: hintId }, hint) : null);
}

/** A table whose cells carry their column's name (`data-label`), shown on narrow screens. */
export function table(caption, columns, rows) {
  return h(
    'table',
    {},
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, columns.map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, tableRows(columns, rows)),
  );
}

/** The `<tr>`s of `table()`: also for rows added to a table later (a list's next page). */
export function tableRows(columns, rows) {
  return rows.map(({ cells, dataset }) => h('tr', { dataset }, cells.map((cell, i) => h('td', { 'data-label': columns[i] }, cell))));
}

/** What an empty list says: what is missing and what to do about it (text, links). */
export function empty(...content) {
  return h('p', { class: 'empty' }, ...content);
}

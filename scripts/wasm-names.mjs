// Short names for the wasm's imports and exports. wasm-bindgen names them for people and for
// uniqueness (module `./credport_bg.js`, `__wbg_call_a410eb4b59ed5965`, `wasm_bindgen__convert__
// closures_____invoke__hf3ad10aa658426be`): ~5 KiB of names in the .wasm, said again in each glue
// file. The glue is the only reader of those names, so the .wasm and both glues are renamed
// together, with one map read from the .wasm. In the .wasm, the import and export sections are
// vectors of length-prefixed names (LEB128 counts and sizes); every other section is copied as is.

const SECTION = { custom: 0, import: 2, export: 7 };

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// `name` as a whole JS identifier (not part of a longer one).
const identifier = (name) => `(?<![\\w$])${escape(name)}(?![\\w$])`;
const count = (text, pattern) => text.match(new RegExp(pattern, 'g'))?.length ?? 0;

/** One unsigned LEB128 number at `r.at` (r = { bytes, at }), which moves past it. */
function readU32(r) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = r.bytes[r.at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return value;
}

function readName(r) {
  const size = readU32(r);
  r.at += size;
  return Buffer.from(r.bytes.subarray(r.at - size, r.at)).toString('utf8');
}

function encodeU32(value) {
  const out = [];
  do {
    const low = value & 0x7f;
    value >>>= 7;
    out.push(value ? low | 0x80 : low);
  } while (value);
  return Buffer.from(out);
}

function encodeName(name) {
  const utf8 = Buffer.from(name, 'utf8');
  return Buffer.concat([encodeU32(utf8.length), utf8]);
}

/** Moves past an import's description (what is imported, copied as it is). */
function skipImportDesc(r) {
  const limits = () => {
    const flags = r.bytes[r.at++];
    readU32(r);
    if (flags & 1) readU32(r);
  };
  const kind = r.bytes[r.at++];
  if (kind === 0x00) readU32(r); // function: its type index
  else if (kind === 0x01) {
    r.at++; // table: its reference type, then limits
    limits();
  }
  else if (kind === 0x02) limits(); // memory
  else if (kind === 0x03) r.at += 2; // global: value type, mutability
  else throw new Error(`a wasm import of kind 0x${kind.toString(16)}, which scripts/wasm-names.mjs does not know`);
}

/**
 * The i-th short name: `a` to `Z`, then a letter and a digit (`a0`, `b0`…), so that each is a
 * plain JS identifier and no reserved word (`wasm.a`, `{ a: … }` in the glue).
 */
function shortName(i) {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const rest = `0123456789${letters}`;
  let name = letters[i % letters.length];
  for (let n = Math.floor(i / letters.length); n > 0; n = Math.floor((n - 1) / rest.length)) {
    name += rest[(n - 1) % rest.length];
  }
  return name;
}

/** Each distinct name to a short one, in order of first appearance. */
function shorten(names) {
  const map = new Map();
  for (const name of names) if (!map.has(name)) map.set(name, shortName(map.size));
  return map;
}

/** The import section with every module and name short; fills `names.modules` and `names.imports`. */
function renameImports(r, names) {
  const entries = Array.from({ length: readU32(r) }, () => {
    const module = readName(r);
    const name = readName(r);
    const from = r.at;
    skipImportDesc(r);
    return { module, name, desc: r.bytes.subarray(from, r.at) };
  });
  names.modules = shorten(entries.map((e) => e.module));
  names.imports = shorten(entries.map((e) => e.name));
  const renamed = entries.map((e) => [encodeName(names.modules.get(e.module)), encodeName(names.imports.get(e.name) ?? e.name), e.desc]);
  return Buffer.concat([encodeU32(entries.length), ...renamed.flat()]);
}

/**
 * The export section with every name short, and without the exports whose names no glue has
 * anywhere (`isNamed`): nothing but the glue reads the instance's exports. wasm-bindgen leaves a
 * few its glue never reads (`__wbindgen_free`; `__abort_handler` and `__instance_terminated`, for
 * panic=unwind, and the crate is panic=abort). Fills `names.exports` and `names.dropped`.
 */
function renameExports(r, names, isNamed) {
  const entries = Array.from({ length: readU32(r) }, () => {
    const name = readName(r);
    const from = r.at;
    r.at++; // kind
    readU32(r); // index
    return { name, desc: r.bytes.subarray(from, r.at) };
  });
  const kept = entries.filter((e) => isNamed(e.name));
  names.dropped = entries.filter((e) => !isNamed(e.name)).map((e) => e.name);
  names.exports = shorten(kept.map((e) => e.name));
  return Buffer.concat([encodeU32(kept.length), ...kept.flatMap((e) => [encodeName(names.exports.get(e.name)), e.desc])]);
}

/**
 * The .wasm with short import and export names, without the exports none of the `glues` names,
 * nor the custom sections (`producers`, `target_features`: tools' metadata, read by no runtime; a
 * release build has no `name` section, and one would go too). Also the maps of old names to new,
 * for `renameInGlue`: `{ modules, imports, exports, dropped }`.
 */
export function shortenWasmNames(bytes, glues) {
  const isNamed = (name) => glues.some((glue) => count(glue, identifier(name)));
  const names = { modules: new Map(), imports: new Map(), exports: new Map(), dropped: [] };
  const out = [bytes.subarray(0, 8)]; // magic and version
  const r = { bytes, at: 8 };
  while (r.at < bytes.length) {
    const id = bytes[r.at++];
    const size = readU32(r);
    const body = { bytes: bytes.subarray(r.at, r.at + size), at: 0 };
    r.at += size;
    if (id === SECTION.custom) continue;
    let content = body.bytes;
    if (id === SECTION.import) content = renameImports(body, names);
    if (id === SECTION.export) content = renameExports(body, names, isNamed);
    if (content !== body.bytes && body.at !== size) throw new Error(`wasm section ${id}: read ${body.at} of its ${size} bytes`);
    out.push(Buffer.from([id]), encodeU32(content.length), content);
  }
  const wasm = Buffer.concat(out);
  if (!WebAssembly.validate(wasm)) throw new Error('the .wasm with short names does not validate');
  return { wasm, names };
}

/**
 * The glue (`file`, for the errors) with the short names of `shortenWasmNames`. wasm-bindgen's
 * glue names the wasm in three places, each rewritten only there: the import module as a quoted
 * key (`"./credport_bg.js": import0`), each import once as a key of that module's object
 * (`__wbg_call_…: function`), and the exports as members of the instance's exports (`wasm.name`).
 * Throws if a name is not where expected or an old name is still read from the wasm after.
 */
export function renameInGlue(glue, { modules, imports, exports }, file) {
  const fail = (why) => {
    throw new Error(`${file}: ${why} (see scripts/wasm-names.mjs)`);
  };
  let out = glue;
  for (const [old, short] of modules) {
    const quoted = `(['"])${escape(old)}\\1`;
    if (!count(out, quoted)) fail(`the wasm's import module "${old}" is not a quoted string in the glue`);
    out = out.replace(new RegExp(quoted, 'g'), `$1${short}$1`);
  }
  for (const [old, short] of imports) {
    const key = `${identifier(old)}(?=\\s*:)`;
    if (count(out, identifier(old)) !== 1 || count(out, key) !== 1) fail(`the wasm's import ${old} is not once a key of the imports object`);
    out = out.replace(new RegExp(key), short);
  }
  for (const [old, short] of exports) {
    const member = `(?<![\\w$.])wasm\\.${escape(old)}(?![\\w$])`;
    if (!count(out, member)) fail(`the wasm's export ${old} is never read as wasm.${old}`);
    out = out.replace(new RegExp(member, 'g'), `wasm.${short}`);
  }

  // Every read of the exports names one that is there now.
  const shorts = new Set(exports.values());
  for (const [, , name] of out.matchAll(/(?<![\w$.])wasm(\.([\w$]+)|\[)/g)) {
    if (!shorts.has(name)) fail(`wasm${name ? `.${name}` : '['} reads no export of the renamed wasm`);
  }
  // An old export name stays only as the glue's own JS names (`export function __setErrorFactory`,
  // `exports.__setErrorFactory = …` in CommonJS, the closure shims): a member of anything else or
  // a quoted string would be a read of the wasm under a name it no longer has.
  for (const old of exports.keys()) {
    for (const [, object] of out.matchAll(new RegExp(`([\\w$.]*)\\.${escape(old)}(?![\\w$])`, 'g'))) {
      if (object !== 'exports') fail(`${object}.${old} is left, an old name of the wasm's export`);
    }
    if (count(out, `(['"\`])${escape(old)}\\1`)) fail(`"${old}" is left quoted, an old name of the wasm's export`);
  }
  return out;
}

// Small helpers shared by the benchmark sections: statistics, sizes, child processes.
import { spawn } from 'node:child_process';
import zlib from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const root = path.resolve(benchDir, '..');
/** The copy of dist/ that a run measures (taken by run.mjs at its start). */
export const distDir = path.join(benchDir, '.cache/dist');

/** A path for the report: `dist/…` for files of the measured copy, else relative to the repository. */
export function shown(file) {
  const rel = path.relative(distDir, file);
  return rel.startsWith('..') ? path.relative(root, file) : path.join('dist', rel);
}

/**
 * A standalone tool's command line: `option(name, fallback)` takes `name VALUE` out of `args`,
 * `flag(name)` takes `name`; what is left in `args` afterwards are its operands.
 */
export function commandLine(args) {
  const option = (name, fallback) => {
    const at = args.indexOf(name);
    if (at < 0) return fallback;
    const [value] = args.splice(at, 2).slice(1);
    return value;
  };
  const flag = (name) => {
    const at = args.indexOf(name);
    if (at >= 0) args.splice(at, 1);
    return at >= 0;
  };
  return { option, flag };
}

export function median(values) {
  return percentile(values, 50);
}

/** Linear interpolation between closest ranks; `p` in 0..100. */
export function percentile(values, p) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function round(value, digits = 2) {
  if (value === null || value === undefined || !Number.isFinite(value)) return value ?? null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Raw, gzip (level 9) and brotli (quality 11) sizes of a buffer, in bytes. */
export function sizes(buffer) {
  return {
    raw: buffer.length,
    gzip: zlib.gzipSync(buffer, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(buffer, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buffer.length,
      },
    }).length,
  };
}

export function addSizes(...parts) {
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const part of parts.filter(Boolean)) {
    total.raw += part.raw;
    total.gzip += part.gzip;
    total.brotli += part.brotli;
  }
  return total;
}

export const kib = (bytes) => (bytes === null || bytes === undefined ? null : bytes / 1024);

/** Runs a command, resolves with { code, stdout, stderr }; never rejects on a non-zero exit. */
export function run(cmd, args, { cwd = root, env, input, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : null;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), signal, stdout, stderr });
    });
    if (input !== undefined) {
      child.stdin.on('error', () => {}); // a child that exits without reading its input
      child.stdin.end(input);
    }
  });
}

/** Like `run`, with the child's output passed through to ours; rejects on a non-zero exit. */
export function runInherit(cmd, args, { cwd = root, env } = {}) {
  return new Promise((resolve, reject) => {
    // The child's output goes to stderr: stdout carries the report table alone.
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 2, 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

export function log(...args) {
  process.stderr.write(`[bench] ${args.join(' ')}\n`);
}

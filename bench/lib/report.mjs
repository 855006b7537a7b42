// The readable outputs of a report: a markdown table (stdout and latest.md) and an SVG chart.

const KiB = (bytes) => (bytes === null || bytes === undefined ? '—' : `${(bytes / 1024).toFixed(1)}`);
const MiB = (bytes) => (bytes === null || bytes === undefined ? '—' : `${(bytes / 1048576).toFixed(1)} MiB`);
const signedMiB = (bytes) => (bytes === null || bytes === undefined ? '—' : `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / 1048576).toFixed(2)} MiB`);
const ms = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} ms`);
const us = (v) => (v === null || v === undefined ? '—' : `${Math.round(v)} µs`);
const mark = (ok) => (ok ? '✅' : '❌');
const int = (v) => (v === null || v === undefined ? '—' : Math.round(v).toLocaleString('en-US'));

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function sectionHeader(report, key, title) {
  const s = report.sections[key];
  if (!s) return [`## ${title}`, '', '_not measured_', ''];
  const lines = [`## ${title}`, ''];
  if (s.carriedFrom) lines.push(`_carried over from the run of ${s.carriedFrom} (this run measured ${report.only.join(', ')} only)_`, '');
  if (s.error) lines.push(`**failed:** \`${String(s.error).split('\n')[0]}\``, '');
  return lines;
}

/** credport's import + construct against @clerk/backend's, when both were measured. */
function clerkRatio(cs) {
  const [own, clerk] = ['credport', '@clerk/backend'].map((name) => cs.sdks.find((s) => s.name === name)?.importMs.median);
  return own && clerk ? ` credport / @clerk/backend: **${(own / clerk).toFixed(2)}×**.` : '';
}

export function markdown(report) {
  const out = [];
  const c = report.conditions;
  out.push(`# credport benchmark — ${report.startedAt}${report.smoke ? ' (smoke: tiny samples, not for comparison)' : ''}`, '');
  out.push(
    `Commit \`${c.commit}\`${c.dirty ? ' (work tree has uncommitted changes)' : ''}; Node ${c.node}; ${c.cpus}× ${c.cpuModel}; ` +
      `load average ${c.loadAverageStart.map((x) => x.toFixed(2)).join('/')} at start, ${c.loadAverageEnd.map((x) => x.toFixed(2)).join('/')} at the end; ` +
      `compilers seen running (rustc/cargo/cc processes, sampled): up to ${c.compilersSeenMax}; credport-server: ${c.server ?? 'not started'}. ` +
      `The machine is shared: numbers are medians over repeated runs, and ratios are taken within one run.`,
    '',
  );

  // 1. Weight
  out.push(...sectionHeader(report, 'weight', '1. Weight: browser bundle of "construct a client and make one call"'));
  const w = report.sections.weight;
  if (w?.sdks) {
    out.push(
      table(
        ['SDK', 'version', 'platform', 'JS min KiB', 'JS gzip KiB', 'JS brotli KiB', 'wasm gzip KiB', 'total gzip KiB', 'total brotli KiB'],
        w.sdks.map((s) => [
          s.name === 'credport' ? '**credport**' : s.name,
          s.version,
          s.platform,
          KiB(s.js.raw),
          KiB(s.js.gzip),
          KiB(s.js.brotli),
          s.wasm ? KiB(s.wasm.gzip) : '—',
          `**${KiB(s.total.gzip)}**`,
          KiB(s.total.brotli),
        ]),
      ),
      '',
    );
    const cp = w.sdks.find((s) => s.name === 'credport');
    if (cp?.parts) {
      const p = cp.parts;
      out.push(
        table(
          ['credport part', 'raw KiB', 'minified KiB', 'gzip KiB', 'brotli KiB'],
          [
            [`wasm (\`${p.wasmFile}\`)`, KiB(p.wasm.raw), '—', KiB(p.wasm.gzip), KiB(p.wasm.brotli)],
            [`JS glue (\`${p.glueFile}\`)`, KiB(p.glue.raw), KiB(p.glueMinified.raw), KiB(p.glueMinified.gzip), KiB(p.glueMinified.brotli)],
            ['**wasm + glue**', KiB(p.wasm.raw + p.glue.raw), '—', `**${KiB(p.wasmPlusGlueGzip)}**`, KiB(p.wasmPlusGlueBrotli)],
            ...(p.nodeEntryGzip ? [['wasm + `index.mjs`, as Node loads `credport`', '—', '—', `**${KiB(p.nodeEntryGzip)}**`, '—']] : []),
          ],
        ),
        '',
        `Target: wasm + JS glue ≤ 55 KiB gzip — ${KiB(p.wasmPlusGlueGzip)} KiB ${mark(p.wasmPlusGlueGzip <= 55 * 1024)}; ` +
          `bundle total ${KiB(cp.total.gzip)} KiB ${mark(cp.total.gzip <= 55 * 1024)} ` +
          `(smallest other SDK here: ${w.smallestCompetitor.name}, ${KiB(w.smallestCompetitor.totalGzip)} KiB).`,
        '',
      );
    }
    for (const note of w.notes ?? []) out.push(`- ${note}`);
    for (const s of w.sdks.filter((s) => s.note)) out.push(`- ${s.name}: ${s.note}`);
    if (cp?.wasmHow) out.push(`- credport wasm in the bundle: ${cp.wasmHow}.`);
    out.push('');
  }

  // 2. Cold start
  out.push(...sectionHeader(report, 'coldstart', '2. Cold start in Node: process start to a constructed client'));
  const cs = report.sections.coldstart;
  if (cs?.sdks) {
    out.push(
      table(
        ['SDK', 'import + construct', 'since process start', 'process wall (spawn → exit)', 'runs'],
        cs.sdks.map((s) => [
          s.name === 'credport' ? '**credport**' : s.name,
          `**${ms(s.importMs.median)}**`,
          ms(s.sinceProcessStartMs.median),
          ms(s.wallMs.median),
          s.runs,
        ]),
      ),
      '',
      `Target: import + construct ≤ 15 ms — ${ms(cs.verdict.importMs)} ${mark(cs.verdict.meetsTarget)}. Medians; "since process start" includes Node's own start-up (see the no-SDK row).` +
        clerkRatio(cs),
      '',
    );
  }

  // 3. Per-call
  out.push(...sectionHeader(report, 'percall', '3. Per-call cost against credport-server on loopback (sequential)'));
  const pc = report.sections.percall;
  if (pc?.cases) {
    out.push(
      table(
        ['call', 'SDK (median)', 'raw fetch + JSON.parse', 'overhead', 'ratio SDK/raw', 'raw fetch with a timeout', 'ratio that/raw', 'ratio SDK/that', 'target (SDK/that)', ''],
        pc.cases.map((x) => [
          x.name,
          us(x.sdkUs),
          us(x.rawUs),
          us(x.overheadUs),
          `${x.ratio.toFixed(3)}×`,
          x.rawTimedUs === undefined ? '—' : us(x.rawTimedUs),
          x.timedToRaw === undefined ? '—' : `${x.timedToRaw.toFixed(3)}×`,
          x.ratioToTimed === undefined ? '—' : `**${x.ratioToTimed.toFixed(3)}×**`,
          `≤ ${x.target}×`,
          mark(x.meetsTarget),
        ]),
      ),
      '',
      `${pc.method}`,
      '',
    );
  }

  // Before and after: the old core against this build.
  out.push(...sectionHeader(report, 'cores', 'Before and after: the previous core against this build (one run)'));
  const co = report.sections.cores;
  if (co?.cores) {
    const [before, after] = co.cores;
    out.push(
      table(
        ['', before.name, after.name, 'target'],
        [
          ['wasm raw', `${KiB(before.wasmBytes)} KiB`, `${KiB(after.wasmBytes)} KiB`, ''],
          ['wasm + glue, gzip', `${KiB(before.wasmPlusGlueGzip)} KiB`, `**${KiB(after.wasmPlusGlueGzip)} KiB**`, '≤ 55 KiB'],
          ['cold start, import + construct', ms(before.importMs), `**${ms(after.importMs)}**`, '≤ 15 ms'],
          ...co.calls.flatMap((c) => [
            [`${c.name}: SDK µs`, us(c.perCore[0].sdkUs), us(c.perCore[1].sdkUs), ''],
            [`${c.name}: SDK / raw fetch with a timeout`, `${c.perCore[0].ratioToTimed}×`, `**${c.perCore[1].ratioToTimed}×**`, `≤ ${c.target}×`],
          ]),
        ],
      ),
      '',
      co.method,
      '',
    );
  }

  // Before and after events: what recording costs credport-server.
  out.push(...sectionHeader(report, 'events', 'Before and after events: what the audit log costs the server (one run)'));
  const ev = report.sections.events;
  if (ev?.routes) {
    out.push(
      table(
        ['request', 'store', `${ev.servers[0]}, req/s`, `${ev.servers[1]}, req/s`, 'cost', 'budget'],
        ev.routes.map((r) => [r.name, r.store ?? 'SQLite', int(r.beforeRps), `**${int(r.afterRps)}**`, `${(r.cost * 100).toFixed(1)}%`, r.withinBudget ? '≤ 15% ✓' : '≤ 15% ✗']),
      ),
      '',
      ev.method,
      '',
    );
  }

  // Server CPU per request against the 404 floor, before and after.
  out.push(...sectionHeader(report, 'servercpu', 'credport-server CPU per request against the 404 floor, before and after (one run)'));
  const sc = report.sections.servercpu;
  if (sc?.stores) {
    const t = sc.targets;
    const cpu = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} µs`);
    const rows = sc.stores.flatMap(({ store, perServer }) => {
      const row = (label, pick, target = '') => [`${store}: ${label}`, ...perServer.map((p, k) => (k === perServer.length - 1 ? `**${pick(p)}**` : pick(p))), target];
      const verdict = (key) => perServer.map((p) => mark(p.meets[key])).join(' ');
      return [
        row('requests/s (mixed load)', (p) => int(p.rps)),
        row('p50 / p99', (p) => `${ms(p.p50Ms)} / ${ms(p.p99Ms)}`, store === 'SQLite' ? `p99 ≤ ${t.sqliteP99Ms} ms ${verdict('p99Ms')}` : ''),
        row('server CPU per request', (p) => cpu(p.serverUs)),
        row('404 floor: server CPU per request (req/s)', (p) => `${cpu(p.floorUs)} (${int(p.floorRps)})`),
        row('server CPU / floor', (p) => `${p.ratioToFloor.toFixed(1)}×`, `≤ ${t.ratioToFloor}× ${verdict('ratioToFloor')}`),
        // What the routes' own work costs: the ratio above also moves with what every request pays.
        row('server CPU beyond the floor (the routes\' own work)', (p) => cpu(p.serverUs - p.floorUs)),
        ...(store === 'PostgreSQL'
          ? [
              row('PostgreSQL CPU per request', (p) => cpu(p.postgresUs), `≤ ${t.postgresUs} µs ${verdict('postgresUs')}`),
              row('404 floor: PostgreSQL CPU per request', (p) => cpu(p.floorPostgresUs)),
            ]
          : []),
      ];
    });
    const m = sc.machine;
    out.push(
      table(['store: measure', ...sc.servers, 'target (before, after)'], rows),
      '',
      `Machine: ${m.cores} cores, ${m.cpuModel}; load average ${m.loadAverageStart.map((x) => x.toFixed(2)).join('/')} at the section's start, ` +
        `${m.loadAverageEnd.map((x) => x.toFixed(2)).join('/')} at its end. ${sc.method}`,
      '',
    );
  }

  // 4. Throughput
  out.push(...sectionHeader(report, 'throughput', '4. Throughput with calls in flight'));
  const tp = report.sections.throughput;
  if (tp?.sdkCallsPerSec) {
    out.push(
      table(
        ['client', `calls/s (${tp.call}, ${tp.inFlight} in flight, ${int(tp.calls)} calls in ${tp.reps} alternating chunks)`, 'errors'],
        [
          ['**credport**', int(tp.sdkCallsPerSec), tp.errors.sdk],
          ['raw fetch + JSON.parse', int(tp.rawCallsPerSec), tp.errors.raw],
          ['cost ratio (raw/SDK calls per second, median over the chunk pairs)', `**${tp.ratio.toFixed(3)}×**`, ''],
        ],
      ),
      '',
    );
  }

  // 5. Memory
  out.push(...sectionHeader(report, 'memory', '5. Memory after many calls'));
  const mem = report.sections.memory;
  if (mem?.runs) {
    out.push(
      table(
        ['client', 'calls', 'RSS start', 'RSS after warm-up', 'RSS end', 'RSS growth since warm-up', 'RSS trend per 10k calls', 'JS heap growth', 'wasm memory start → end'],
        mem.runs.map((r) => [
          r.client === 'credport' ? '**credport**' : r.client,
          int(r.calls),
          MiB(r.start.rss),
          MiB(r.afterWarmup.rss),
          MiB(r.end.rss),
          `**${signedMiB(r.growthSinceWarmup.rss)}**`,
          r.trendPer10kCalls ? signedMiB(r.trendPer10kCalls.rss) : '—',
          signedMiB(r.growthSinceWarmup.heapUsed),
          r.start.wasm === null ? '—' : `${MiB(r.start.wasm)} → ${MiB(r.end.wasm)}`,
        ]),
      ),
      '',
      `${mem.method} Target: no growth — wasm memory ${mem.verdict.wasmGrowth === 0 ? 'flat ✅' : `grew by ${signedMiB(mem.verdict.wasmGrowth)} ❌`}; ` +
        `RSS growth since warm-up ${signedMiB(mem.verdict.rssGrowth)} (raw fetch: ${signedMiB(mem.verdict.rawRssGrowth)}); ` +
        `RSS trend ${signedMiB(mem.verdict.rssTrendPer10k)} per 10k calls (raw fetch: ${signedMiB(mem.verdict.rawRssTrendPer10k)}), ` +
        `JS heap trend ${signedMiB(mem.verdict.heapTrendPer10k)} per 10k calls. Single RSS readings swing with the allocator; the trend is the least-squares slope over the ${mem.runs[0].checkpoints.length} readings from warm-up to the end.`,
      '',
    );
  }

  // 6. Server
  out.push(...sectionHeader(report, 'server', '6. credport-server under load'));
  const sv = report.sections.server;
  if (sv?.routes) {
    // Reports before PostgreSQL have the SQLite server's routes only.
    const stores = sv.stores ?? [{ store: 'SQLite', instances: 1, routes: sv.routes }];
    const rows = stores.flatMap((st) =>
      st.routes.map((r) => [
        `${st.store}, ${st.instances} instance${st.instances > 1 ? 's' : ''}`,
        r.name,
        `\`${r.request}\``,
        `**${int(r.rps)}**`,
        ms(r.p50Ms),
        ms(r.p90Ms),
        ms(r.p99Ms),
        r.errors,
      ]),
    );
    out.push(table(['store', 'route', 'request', 'requests/s', 'p50', 'p90', 'p99', 'errors'], rows), '');
    const one = stores.find((st) => st.store === 'PostgreSQL' && st.instances === 1);
    const two = stores.find((st) => st.store === 'PostgreSQL' && st.instances === 2);
    if (one && two) {
      const ratios = two.routes.map((r, i) => `${r.name} ${(r.rps / one.routes[i].rps).toFixed(2)}×`);
      out.push(`Two PostgreSQL instances against one: ${ratios.join(', ')} (target ≥ 1.6×).`, '');
    }
    out.push(`${sv.tool}; ${sv.method}.`, '');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

// ---------------------------------------------------------------------------------------------
// The chart: horizontal bars, one panel per measure, the target as a dashed line.

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel({ y, title, rows, target, targetLabel, reference, referenceLabel, unit, digits = 1, width }) {
  const labelW = 150;
  const left = 20 + labelW;
  const plotW = width - left - 90;
  const barH = 20;
  const gap = 8;
  const top = y + (Number.isFinite(reference) ? 42 : 30);
  const values = rows.map((r) => r.value).filter((v) => Number.isFinite(v));
  const targets = [target, reference, ...rows.map((r) => r.target)].filter((v) => Number.isFinite(v));
  const max = Math.max(...values, ...targets, 0) * 1.12 || 1;
  const x = (v) => left + (v / max) * plotW;
  // Drawn in layers: bars, then the lines over them, then the text over everything.
  const bars = [];
  const lines = [];
  const texts = [`<text x="20" y="${y + 16}" class="title">${esc(title)}</text>`];
  rows.forEach((r, i) => {
    const by = top + i * (barH + gap);
    const cls = r.highlight ? 'bar main' : 'bar';
    texts.push(`<text x="${left - 8}" y="${by + barH / 2 + 4}" class="label" text-anchor="end">${esc(r.label)}</text>`);
    if (Number.isFinite(r.value)) {
      bars.push(`<rect x="${left}" y="${by}" width="${Math.max(1, x(r.value) - left).toFixed(1)}" height="${barH}" class="${cls}"/>`);
      const text = `${r.value.toFixed(digits)} ${unit}`;
      let tx = x(r.value) + 6;
      // Not across a target line: past it instead.
      for (const t of [target, r.target].filter((v) => Number.isFinite(v))) {
        if (x(t) >= tx - 2 && x(t) <= tx + text.length * 6.5) tx = x(t) + 6;
      }
      texts.push(`<text x="${tx.toFixed(1)}" y="${by + barH / 2 + 4}" class="value">${esc(text)}</text>`);
    } else {
      texts.push(`<text x="${left + 6}" y="${by + barH / 2 + 4}" class="value">not measured</text>`);
    }
    if (Number.isFinite(r.target)) {
      const tx = x(r.target).toFixed(1);
      lines.push(`<line x1="${tx}" x2="${tx}" y1="${by - 3}" y2="${by + barH + 3}" class="target"/>`);
    }
  });
  const bottom = top + rows.length * (barH + gap);
  if (Number.isFinite(target)) {
    const tx = x(target).toFixed(1);
    lines.push(`<line x1="${tx}" x2="${tx}" y1="${top - 6}" y2="${bottom - gap + 6}" class="target"/>`);
    texts.push(`<text x="${tx}" y="${bottom + 12}" class="tlabel" text-anchor="middle">${esc(targetLabel)}</text>`);
  } else if (targetLabel) {
    texts.push(`<text x="${left}" y="${bottom + 12}" class="tlabel">${esc(targetLabel)}</text>`);
  }
  if (Number.isFinite(reference)) {
    const rx = x(reference).toFixed(1);
    lines.push(`<line x1="${rx}" x2="${rx}" y1="${top - 6}" y2="${bottom - gap + 6}" class="reference"/>`);
    texts.push(`<text x="${rx}" y="${top - 9}" class="rlabel" text-anchor="middle">${esc(referenceLabel)}</text>`);
  }
  lines.push(`<line x1="${left}" x2="${left}" y1="${top - 6}" y2="${bottom - gap + 6}" class="axis"/>`);
  const parts = [...bars, ...lines, ...texts];
  return { svg: parts.join('\n'), height: bottom + 24 - y };
}

export function chart(report) {
  const width = 760;
  const panels = [];
  const w = report.sections.weight;
  if (w?.sdks) {
    panels.push({
      title: 'Browser bundle, "construct a client and make one call": gzip, JS + wasm',
      rows: w.sdks.map((s) => ({ label: s.name, value: s.total.gzip / 1024, highlight: s.name === 'credport' })),
      target: 55,
      targetLabel: 'target 55 KiB (wasm + glue)',
      unit: 'KiB',
    });
  }
  const cs = report.sections.coldstart;
  if (cs?.sdks) {
    panels.push({
      title: 'Cold start in Node: import + construct a client (median ms)',
      rows: cs.sdks.filter((s) => !s.baseline).map((s) => ({ label: s.name, value: s.importMs.median, highlight: s.name === 'credport' })),
      target: 15,
      targetLabel: 'target 15 ms',
      unit: 'ms',
    });
  }
  const pc = report.sections.percall;
  if (pc?.cases) {
    panels.push({
      title: 'Per-call cost against credport-server: SDK / raw fetch with a timeout (median ratio)',
      rows: pc.cases.map((c) => ({ label: c.name.replace('connections.list', 'list'), value: c.ratioToTimed ?? c.ratio, highlight: true, target: c.target })),
      target: null,
      targetLabel: 'red ticks: targets (1.2× small responses, 1.5× 100 items)',
      reference: 1,
      referenceLabel: 'raw fetch with a timeout = 1×',
      unit: '×',
      digits: 3,
    });
  }
  let y = 60;
  const body = [];
  for (const p of panels) {
    const drawn = panel({ ...p, y, width });
    body.push(drawn.svg);
    y += drawn.height + 14;
  }
  const c = report.conditions;
  const height = y + 10;
  const subtitle = `${report.startedAt} · ${c.commit}${c.dirty ? '+dirty' : ''} · Node ${c.node} · ${c.cpus} CPUs (shared) · ${report.smoke ? 'SMOKE run' : 'medians of repeated runs'}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
  .bg { fill: #ffffff; }
  .h1 { font-size: 18px; font-weight: 600; fill: #111; }
  .sub { font-size: 11px; fill: #666; }
  .title { font-size: 13px; font-weight: 600; fill: #222; }
  .label { font-size: 12px; fill: #333; }
  .value { font-size: 11px; fill: #333; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
  .rlabel { font-size: 10px; fill: #555; }
  .reference { stroke: #555; stroke-width: 1; }
  .tlabel { font-size: 11px; fill: #c0392b; }
  .bar { fill: #9aa5b1; }
  .bar.main { fill: #2f6fdf; }
  .target { stroke: #c0392b; stroke-width: 2; stroke-dasharray: 5 3; }
  .axis { stroke: #999; stroke-width: 1; }
</style>
<rect class="bg" width="100%" height="100%"/>
<text x="20" y="26" class="h1">credport benchmark</text>
<text x="20" y="44" class="sub">${esc(subtitle)}</text>
${body.join('\n')}
</svg>
`;
}

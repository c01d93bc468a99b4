#!/usr/bin/env node
// Storage benchmark: C-STORE throughput and server peak memory, Kakutei against DCMTK storescp
// and Orthanc, on loopback. Not a test; run by hand after `npm run build`:
//
//   node bench/store.mjs [--rounds 3] [--ct 500] [--cr 20] [--servers kakutei,storescp,orthanc]
//                        [--scenarios ct-1,cr-1,ct-4] [--warmup 0]
//
// See bench/README.md for what is measured and how.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
import { parseArgs } from 'node:util';
import { cpuMilliseconds, ensurePrivateNetwork, median, mkdirSync, peakRssBytes, sendFiles, stopProcess, totalBytes, which, writeJson } from './lib.mjs';
import { SERVERS } from './servers.mjs';

const isolated = ensurePrivateNetwork(fileURLToPath(import.meta.url));

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    ct: { type: 'string', default: '500' },
    cr: { type: 'string', default: '20' },
    servers: { type: 'string', default: 'kakutei,storescp,orthanc' },
    scenarios: { type: 'string', default: 'ct-1,cr-1,ct-4' },
    keep: { type: 'boolean', default: false },
    warmup: { type: 'string', default: '0' },
  },
});
const rounds = Math.min(Math.max(Number(values.rounds), 1), 9);
const ctCount = Math.min(Math.max(Number(values.ct), 4), 5000);
const crCount = Math.min(Math.max(Number(values.cr), 1), 200);
const warmupCount = Math.min(Math.max(Number(values.warmup), 0), 5000);
/** The warm-up files (--warmup), sent before every measured run. */
const warmup = [];

for (const tool of ['storescu', 'echoscu']) {
  if (which(tool) === null) {
    console.error(`bench: ${tool} is required (Debian package dcmtk)`);
    process.exit(2);
  }
}

const fixtures = resolve(HERE, '..', 'dist', 'testing', 'fixtures', 'index.js');
const { makeCrFiles, makeCtSeries } = await import(fixtures).catch(() => {
  console.error(`bench: ${fixtures} missing; run npm run build first`);
  process.exit(2);
});

const work = mkdtempSync(join(tmpdir(), 'kakutei-bench-'));
const log = (line) => process.stderr.write(`${line}\n`);
log(`bench: work directory ${work}; private network namespace: ${isolated ? 'yes' : 'no'}`);

try {
  log(`bench: generating ${ctCount} CT (512×512) and ${crCount} CR (2000×2500) files`);
  const ct = await makeCtSeries(join(work, 'in', 'ct'), ctCount, { rows: 512, cols: 512 });
  const cr = await makeCrFiles(join(work, 'in', 'cr'), crCount);
  // Warm-up (--warmup N): N other CT slices sent to every server over one association before the
  // measured send, in the same run on the same fresh storage — a server's steady state rather
  // than its first minute (a fresh Node process compiles its hot paths meanwhile).
  if (warmupCount > 0) warmup.push(...(await makeCtSeries(join(work, 'in', 'warmup'), warmupCount, { rows: 512, cols: 512 })));
  const scenarios = [
    { name: `CT ${ctCount} × 512², 1 association`, key: 'ct-1', files: ct, associations: 1 },
    { name: `CR ${crCount} × 2000×2500, 1 association`, key: 'cr-1', files: cr, associations: 1 },
    { name: `CT ${ctCount} × 512², 4 associations`, key: 'ct-4', files: ct, associations: 4 },
  ].filter((s) => values.scenarios.split(',').includes(s.key));
  for (const s of scenarios) s.bytes = totalBytes(s.files);

  const results = {};
  const servers = [];
  for (const key of values.servers.split(',').map((k) => k.trim()).filter((k) => k !== '')) {
    const server = SERVERS[key];
    if (server === undefined) {
      log(`bench: unknown server ${key}; skipped`);
      continue;
    }
    const why = server.unavailable(isolated);
    if (why !== null) {
      log(`bench: ${server.label} skipped: ${why}`);
      results[key] = { skipped: why };
      continue;
    }
    results[key] = {};
    servers.push({ key, server });
  }
  // Servers take turns within each round (Kakutei, storescp, Orthanc, then again): this machine's
  // speed drifts by tens of percent over minutes, and running one server's rounds after another's
  // would put that drift into the ratios.
  for (const scenario of scenarios) {
    for (let round = 1; round <= rounds; round++) {
      for (const { key, server } of servers) {
        if (results[key].skipped !== undefined) continue;
        try {
          await runOnce(key, server, scenario, round, results[key]);
        } catch (error) {
          log(`bench: ${server.label} failed: ${error.message}`);
          results[key] = { skipped: `failed: ${error.message}` };
        }
      }
    }
  }
  for (const { key } of servers) if (results[key].skipped === undefined) for (const scenario of scenarios) summarize(results[key][scenario.key]);

  if (warmup.length > 0) console.log(`After a warm-up of ${warmup.length} other CT slices per run (--warmup).\n`);
  printTable(scenarios, results);
  const stamp = new Date().toISOString().replaceAll(':', '-');
  const out = resolve(HERE, 'out', `store-${stamp}.json`);
  writeJson(out, { date: new Date().toISOString(), node: process.version, rounds, warmup: warmup.length, isolated, results });
  log(`bench: raw numbers in ${out}`);
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}

/**
 * Starts the server on fresh storage. Its ports were free a moment before it binds them: another
 * process (a sender's connection) may take one meanwhile, so EADDRINUSE is retried on new ports.
 */
async function startFresh(server, dir) {
  for (let attempt = 1; ; attempt++) {
    const fresh = join(dir, `start-${attempt}`);
    mkdirSync(fresh, { recursive: true });
    try {
      return await server.start(fresh);
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(error.message)) throw error;
      log(`bench: ${server.label}: a port was taken before it could bind (${attempt}); again on others`);
    }
  }
}

async function runOnce(key, server, scenario, round, into) {
  // A fresh server and fresh, empty storage for every run: nothing cached, nothing to skip.
  const dir = join(work, 'run', key, scenario.key, String(round));
  mkdirSync(dir, { recursive: true });
  const handle = await startFresh(server, dir);
  try {
    if (warmup.length > 0) await sendFiles(handle.port, handle.ae, warmup, 1);
    const before = cpuMilliseconds(handle.proc.child.pid);
    const seconds = await sendFiles(handle.port, handle.ae, scenario.files, scenario.associations);
    const after = cpuMilliseconds(handle.proc.child.pid);
    const peakRss = peakRssBytes(handle.proc.child.pid);
    const stored = await handle.stored();
    const expected = warmup.length + scenario.files.length;
    if (stored !== null && stored !== expected) throw new Error(`${server.label} stored ${stored} of ${expected}`);
    // The server's own CPU per object (all its threads): steadier than images/s on a noisy disk.
    const cpuMsPerObject = (after.user + after.system - before.user - before.system) / scenario.files.length;
    into[scenario.key] ??= { scenario: scenario.name, files: scenario.files.length, bytes: scenario.bytes, runs: [] };
    into[scenario.key].runs.push({ seconds, imagesPerSecond: scenario.files.length / seconds, megabytesPerSecond: scenario.bytes / 1e6 / seconds, peakRssBytes: peakRss, cpuMsPerObject });
    log(`bench: ${server.label} | ${scenario.name} | round ${round}: ${seconds.toFixed(2)} s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, CPU ${cpuMsPerObject.toFixed(2)} ms/object`);
  } finally {
    await stopProcess(handle.proc);
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

function summarize(entry) {
  const { runs } = entry;
  entry.median = {
    seconds: median(runs.map((r) => r.seconds)),
    imagesPerSecond: median(runs.map((r) => r.imagesPerSecond)),
    megabytesPerSecond: median(runs.map((r) => r.megabytesPerSecond)),
    peakRssBytes: median(runs.map((r) => r.peakRssBytes)),
    cpuMsPerObject: median(runs.map((r) => r.cpuMsPerObject)),
  };
}

function printTable(scenarios, results) {
  const keys = Object.keys(results).filter((k) => results[k].skipped === undefined);
  const rows = [['scenario', 'server', 'images/s', 'MB/s', 'peak RSS MiB', 'server CPU ms/object']];
  for (const s of scenarios) {
    for (const k of keys) {
      const m = results[k][s.key].median;
      rows.push([s.name, SERVERS[k].label, m.imagesPerSecond.toFixed(1), m.megabytesPerSecond.toFixed(1), (m.peakRssBytes / 2 ** 20).toFixed(0), m.cpuMsPerObject.toFixed(2)]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  console.log(line(rows[0]));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
  if (keys.includes('kakutei')) {
    console.log('');
    for (const other of ['orthanc', 'storescp', 'kakutei-base'].filter((k) => keys.includes(k))) {
      for (const s of scenarios) {
        const a = results.kakutei[s.key].median;
        const b = results[other][s.key].median;
        // Round by round too (servers take turns within a round): the spread says how far to trust the median.
        const byRound = results.kakutei[s.key].runs.map((run, i) => run.imagesPerSecond / results[other][s.key].runs[i].imagesPerSecond);
        const rounds = byRound.length > 1 ? ` (rounds ${byRound.map((ratio) => ratio.toFixed(2)).join(', ')})` : '';
        console.log(`Kakutei/${SERVERS[other].label} ${s.name}: throughput ×${(a.imagesPerSecond / b.imagesPerSecond).toFixed(2)}${rounds}, peak RSS ×${(a.peakRssBytes / b.peakRssBytes).toFixed(2)}`);
      }
    }
  }
  for (const k of Object.keys(results).filter((key) => results[key].skipped !== undefined)) console.log(`${SERVERS[k].label}: skipped (${results[k].skipped})`);
}

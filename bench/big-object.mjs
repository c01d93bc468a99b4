#!/usr/bin/env node
// Memory under one very large object: sends a ~1 GB multi-frame object (native pixel data, one
// C-STORE) and reports the receiving server's peak RSS. Kakutei's target is < 200 MiB: it must
// stream the object to storage, never hold it. Not a test; run by hand after `npm run build`:
//
//   node bench/big-object.mjs [--bytes 1073741824] [--servers kakutei,storescp,orthanc]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePrivateNetwork, mkdirSync, peakRssBytes, sendFiles, stopProcess, which, writeJson } from './lib.mjs';
import { SERVERS } from './servers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const TARGET_PEAK_RSS_BYTES = 200 * 2 ** 20;

const isolated = ensurePrivateNetwork(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    bytes: { type: 'string', default: String(2 ** 30) },
    servers: { type: 'string', default: 'kakutei' },
    keep: { type: 'boolean', default: false },
  },
});
const bytes = Math.min(Math.max(Number(values.bytes), 2 ** 20), 4 * 10 ** 9);
if (which('storescu') === null || which('echoscu') === null) {
  console.error('big-object: storescu and echoscu are required (Debian package dcmtk)');
  process.exit(2);
}
const fixtures = resolve(HERE, '..', 'dist', 'testing', 'fixtures', 'index.js');
const { makeLargeMultiframe } = await import(fixtures).catch(() => {
  console.error(`big-object: ${fixtures} missing; run npm run build first`);
  process.exit(2);
});

const work = mkdtempSync(join(tmpdir(), 'kakutei-big-'));
const results = {};
try {
  process.stderr.write(`big-object: writing a ${(bytes / 2 ** 30).toFixed(2)} GiB multi-frame object\n`);
  const file = await makeLargeMultiframe(join(work, 'in'), bytes);
  const fileBytes = statSync(file).size;
  for (const key of values.servers.split(',').map((k) => k.trim()).filter((k) => k !== '')) {
    const server = SERVERS[key];
    const why = server === undefined ? 'unknown server' : server.unavailable(isolated);
    if (why !== null) {
      results[key] = { skipped: why };
      continue;
    }
    const dir = join(work, 'run', key);
    mkdirSync(dir, { recursive: true });
    try {
      const handle = await server.start(dir);
      try {
        const seconds = await sendFiles(handle.port, handle.ae, [file], 1);
        const peak = peakRssBytes(handle.proc.child.pid);
        const stored = await handle.stored();
        results[key] = { fileBytes, seconds, megabytesPerSecond: fileBytes / 1e6 / seconds, peakRssBytes: peak, stored };
      } finally {
        await stopProcess(handle.proc);
      }
    } catch (error) {
      results[key] = { skipped: `failed: ${error.message}` };
    } finally {
      if (!values.keep) rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}

for (const [key, r] of Object.entries(results)) {
  const label = SERVERS[key]?.label ?? key;
  if (r.skipped !== undefined) {
    console.log(`${label}: skipped (${r.skipped})`);
    continue;
  }
  const mib = r.peakRssBytes / 2 ** 20;
  const verdict = key === 'kakutei' ? (r.peakRssBytes < TARGET_PEAK_RSS_BYTES ? ' — within the 200 MiB target' : ' — OVER the 200 MiB target') : '';
  console.log(`${label}: ${(r.fileBytes / 2 ** 30).toFixed(2)} GiB in ${r.seconds.toFixed(1)} s (${r.megabytesPerSecond.toFixed(0)} MB/s), peak RSS ${mib.toFixed(0)} MiB${verdict}`);
}
const out = resolve(HERE, 'out', `big-object-${new Date().toISOString().replaceAll(':', '-')}.json`);
writeJson(out, { date: new Date().toISOString(), node: process.version, bytes, isolated, targetPeakRssBytes: TARGET_PEAK_RSS_BYTES, results });
process.stderr.write(`big-object: raw numbers in ${out}\n`);

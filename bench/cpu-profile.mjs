#!/usr/bin/env node
// Where Kakutei's CPU goes while it receives CT slices over one association: per thread (user and
// system time from /proc, per object, batch by batch into one server), and with --profile the
// event loop's functions from a V8 CPU profile of the last batch. Not a test; after `npm run build`:
//
//   node bench/cpu-profile.mjs [--ct 500] [--batches 3] [--associations 1] [--cr N] [--profile] [--top 30]
//
// --cr N sends N CR images (2000 × 2500, ~10 MB) per batch instead of the CT slices.
//
// Several batches show the fresh process warming up (V8 compiles its hot paths meanwhile); the
// profile covers the last one. On a two-core machine the profile's times include waits for a core:
// compare shares between builds (KAKUTEI_BENCH_DIST), not absolute figures.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePrivateNetwork, mkdirSync, sendFiles, stopProcess, which } from './lib.mjs';
import { SERVERS } from './servers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
ensurePrivateNetwork(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    ct: { type: 'string', default: '500' },
    batches: { type: 'string', default: '3' },
    associations: { type: 'string', default: '1' },
    cr: { type: 'string' },
    profile: { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
  },
});
if (which('storescu') === null) {
  console.error('cpu-profile: storescu is required (Debian package dcmtk)');
  process.exit(2);
}
const { makeCrFiles, makeCtSeries } = await import(resolve(HERE, '..', 'dist', 'testing', 'fixtures', 'index.js'));
const count = Math.max(Number(values.ct), 20);
const batches = Math.min(Math.max(Number(values.batches), 1), 10);
const associations = Math.min(Math.max(Number(values.associations), 1), 16);
const work = mkdtempSync(join(tmpdir(), 'kakutei-cpu-'));
try {
  const sets = [];
  for (let b = 0; b < batches; b++) {
    const dir = join(work, 'in', String(b));
    sets.push(values.cr !== undefined ? await makeCrFiles(dir, Math.max(Number(values.cr), 1)) : await makeCtSeries(dir, count, { rows: 512, cols: 512 }));
  }
  const profileDir = join(work, 'profile');
  if (values.profile) process.env.KAKUTEI_BENCH_NODE_FLAGS = `--cpu-prof --cpu-prof-dir=${profileDir}`;
  const runDir = join(work, 'run');
  mkdirSync(runDir, { recursive: true });
  const handle = await SERVERS.kakutei.start(runDir);
  const pid = handle.proc.child.pid;
  try {
    for (const [b, files] of sets.entries()) {
      const before = threadTimes(pid);
      const seconds = await sendFiles(handle.port, handle.ae, files, associations);
      report(`batch ${b + 1}: ${(files.length / seconds).toFixed(1)} images/s`, pid, before, threadTimes(pid), files.length);
    }
  } finally {
    await stopProcess(handle.proc);
  }
  if (values.profile) profileReport(profileDir, batches, Number(values.top));
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** User and system milliseconds of every thread of `pid`, by thread id (Linux /proc). */
function threadTimes(pid) {
  const times = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    times.set(Number(tid), { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 });
  }
  return times;
}

function report(title, pid, before, after, objects) {
  const perObject = (ms) => ((ms * 1000) / objects).toFixed(0);
  let total = 0;
  const rows = [];
  for (const [tid, t] of after) {
    const b = before.get(tid) ?? { user: 0, system: 0 };
    const user = t.user - b.user;
    const system = t.system - b.system;
    total += user + system;
    if (user + system > 0) rows.push(`${tid === pid ? 'event loop' : `thread ${tid}`} ${perObject(user)}/${perObject(system)}`);
  }
  console.log(`${title}; CPU ${(total / objects).toFixed(2)} ms/object; per thread, user/system µs per object: ${rows.join(', ')}`);
}

/** Self time of the event loop's functions in the last batch (the last 1/batches of the receiving span). */
function profileReport(dir, batches, top) {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) return console.log('no CPU profile written');
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  const receiving = (id) => {
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) if (nodes.get(cur).callFrame.url.endsWith('dicom/net/pdu-connection.js')) return true;
    return false;
  };
  const { samples, timeDeltas } = profile;
  const hits = samples.map((s, i) => (receiving(s) ? i : -1)).filter((i) => i >= 0);
  if (hits.length === 0) return console.log('no samples while receiving');
  const first = hits[0];
  const last = hits[hits.length - 1];
  const span = timeDeltas.slice(first, last + 1).reduce((a, b) => a + b, 0);
  let start = first;
  for (let t = 0; start < last && t < (span * (batches - 1)) / batches; start++) t += timeDeltas[start];
  const self = new Map();
  let busy = 0;
  for (let i = start; i <= last; i++) {
    const n = nodes.get(samples[i]);
    if (n.callFrame.functionName === '(idle)') continue;
    busy += timeDeltas[i];
    self.set(label(n), (self.get(label(n)) ?? 0) + timeDeltas[i]);
  }
  console.log(`\nevent loop in the last batch: ${(busy / 1000).toFixed(0)} ms busy; self time by function (ms, share of busy):`);
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(us / 1000).toFixed(1).padStart(8)}  ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${name}`);
}

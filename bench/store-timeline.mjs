#!/usr/bin/env node
// Where the time of one C-STORE goes, step by step, in `kakutei serve`: sends the CT set over one
// association with storescu while timeline-preload.mjs records the file operations and socket
// events, then prints per-step averages and medians. Not a test; after `npm run build`:
//
//   node bench/store-timeline.mjs [--ct 500] [--data-dir DIR] [--skip 20] [--associations 1]
//
// With several associations the steps of one object cannot be told apart from the others' in the
// file operations: it prints, per association, the time to receive an object, from its last data
// to its response and the sender's turn-around, and over all the flushes their durations and how
// many objects shared a WAL flush (one commit).
//
// --data-dir puts the server's data directory there (e.g. on tmpfs, to see CPU without the disk).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePrivateNetwork, median, mkdirSync, sendFiles, stopProcess, which } from './lib.mjs';
import { SERVERS } from './servers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
ensurePrivateNetwork(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    ct: { type: 'string', default: '500' },
    'data-dir': { type: 'string' },
    skip: { type: 'string', default: '20' },
    associations: { type: 'string', default: '1' },
  },
});
if (which('storescu') === null) {
  console.error('store-timeline: storescu is required (Debian package dcmtk)');
  process.exit(2);
}
const { makeCtSeries } = await import(resolve(HERE, '..', 'dist', 'testing', 'fixtures', 'index.js'));
const associations = Math.min(Math.max(Number(values.associations), 1), 16);
const work = mkdtempSync(join(tmpdir(), 'kakutei-timeline-'));
try {
  const files = await makeCtSeries(join(work, 'in'), Math.max(Number(values.ct), 40), { rows: 512, cols: 512 });
  const runDir = values['data-dir'] ?? join(work, 'run');
  mkdirSync(runDir, { recursive: true });
  const timeline = join(work, 'timeline.json');
  process.env.KAKUTEI_BENCH_TIMELINE = timeline;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(join(HERE, 'timeline-preload.mjs')).href}`;
  const handle = await SERVERS.kakutei.start(runDir);
  let seconds;
  try {
    seconds = await sendFiles(handle.port, handle.ae, files, associations);
  } finally {
    await stopProcess(handle.proc);
  }
  console.log(`${files.length} objects in ${seconds.toFixed(2)} s (${(files.length / seconds).toFixed(1)} images/s, timed run)`);
  if (process.env.KAKUTEI_BENCH_KEEP_TIMELINE) writeFileSync(process.env.KAKUTEI_BENCH_KEEP_TIMELINE, readFileSync(timeline));
  const events = JSON.parse(readFileSync(timeline, 'utf8'));
  if (associations === 1) report(events, Number(values.skip));
  else reportConcurrent(events, Number(values.skip));
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Splits the events at each response; for each object, the steps after its last socket data. */
function report(events, skip) {
  const objects = [];
  let current = [];
  for (const event of events) {
    current.push(event);
    if (event[0] === 'response') {
      objects.push(current);
      current = [];
    }
  }
  const steps = new Map();
  const add = (step, ms) => {
    if (Number.isFinite(ms)) steps.set(step, [...(steps.get(step) ?? []), ms]);
  };
  let previousResponse = null;
  for (const object of objects.slice(skip)) {
    const data = object.filter((e) => e[0] === 'data');
    const response = object[object.length - 1];
    if (data.length === 0) continue;
    const first = data[0][2];
    const last = data[data.length - 1][2];
    const afterLast = (name, kind) => object.filter((e) => e[0] === name && e[1] === kind && e[3] >= last);
    const tail = object.find((e) => e[0] === 'write' && e[1] === 'temp' && e[2] >= last);
    const fileSync = afterLast('fdatasync', 'temp').pop();
    const link = afterLast('link', 'object').pop();
    const dirSync = afterLast('fsync', 'dir').pop();
    const walSync = afterLast('fdatasync', 'wal').pop();
    if (previousResponse !== null) add('storescu: response → its next data', first - previousResponse);
    add('receiving: first → last data', last - first);
    if (tail !== undefined) add('last data → tail write starts', tail[2] - last);
    const behind = object.filter((e) => e[0] === 'write' && e[1] === 'temp' && e[2] < last && e[3] >= last);
    for (const write of behind) add('last data → a write begun before it ends', write[3] - last);
    for (const write of object.filter((e) => e[0] === 'write' && e[1] === 'temp')) add('temp file write (each)', write[3] - write[2]);
    if (fileSync !== undefined) {
      add('last data → file fdatasync starts', fileSync[2] - last);
      add('file fdatasync', fileSync[3] - fileSync[2]);
    }
    if (link !== undefined) add('link', link[3] - link[2]);
    if (dirSync !== undefined) add('directory fsync', dirSync[3] - dirSync[2]);
    if (dirSync !== undefined && walSync !== undefined) add('directory synced → WAL fdatasync starts (index SQL)', walSync[2] - dirSync[3]);
    if (walSync !== undefined) {
      add('WAL fdatasync', walSync[3] - walSync[2]);
      add('WAL synced → response', response[2] - walSync[3]);
    }
    add('last data → response', response[2] - last);
    previousResponse = response[2];
  }
  const rows = [...steps].map(([step, values]) => [step, (values.reduce((a, b) => a + b, 0) / values.length).toFixed(3), median(values).toFixed(3), String(values.length)]);
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`${'step (ms)'.padEnd(width)}  average   median  objects`);
  for (const [step, average, med, n] of rows) console.log(`${step.padEnd(width)}  ${average.padStart(7)}  ${med.padStart(7)}  ${n.padStart(7)}`);
}

/** Several associations: per association its phases; over all, the flushes and the objects per commit. */
function reportConcurrent(events, skip) {
  const steps = new Map();
  const add = (step, ms) => {
    if (Number.isFinite(ms)) steps.set(step, [...(steps.get(step) ?? []), ms]);
  };
  const ports = [...new Set(events.filter((e) => e[0] === 'data').map((e) => e[5]))];
  for (const port of ports) {
    const own = events.filter((e) => e[5] === port);
    let current = [];
    let previousResponse = null;
    let seen = 0;
    for (const event of own) {
      if (event[0] === 'data') current.push(event);
      else if (event[0] === 'response') {
        if (current.length > 0 && seen++ >= skip / ports.length) {
          const first = current[0][2];
          const last = current[current.length - 1][2];
          if (previousResponse !== null) add('storescu: response → its next data', first - previousResponse);
          add('receiving: first → last data', last - first);
          add('last data → response', event[2] - last);
        }
        previousResponse = event[2];
        current = [];
      }
    }
  }
  const durations = (name, kind) => events.filter((e) => e[0] === name && e[1] === kind).map((e) => e[3] - e[2]);
  for (const [step, values] of [
    ['temp file write (each)', durations('write', 'temp')],
    ['file fdatasync', durations('fdatasync', 'temp')],
    ['link', durations('link', 'object')],
    ['directory fsync', durations('fsync', 'dir')],
    ['WAL fdatasync', durations('fdatasync', 'wal')],
  ]) for (const v of values) add(step, v);
  const responses = events.filter((e) => e[0] === 'response').length;
  const walFlushes = events.filter((e) => e[0] === 'fdatasync' && e[1] === 'wal').length;
  const rows = [...steps].map(([step, values]) => [step, (values.reduce((a, b) => a + b, 0) / values.length).toFixed(3), median(values).toFixed(3), String(values.length)]);
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`${'step (ms)'.padEnd(width)}  average   median    count`);
  for (const [step, average, med, n] of rows) console.log(`${step.padEnd(width)}  ${average.padStart(7)}  ${med.padStart(7)}  ${n.padStart(7)}`);
  console.log(`${responses} responses, ${walFlushes} WAL flushes: ${(responses / Math.max(walFlushes, 1)).toFixed(2)} objects per commit`);
}

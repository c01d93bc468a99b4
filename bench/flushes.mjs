#!/usr/bin/env node
// What each server asks of the disk per stored object: every fsync/fdatasync/syncfs/sync_file_range
// of the server process (all threads) while it receives CT slices, from `strace -f -y`, by what
// was flushed — the object files, directories, the index (SQLite database, journal or WAL),
// anything else; from the first object sent to half a second after the last answer (the
// association's end and its audit record included). Not a test, and not a speed measurement (strace slows every server);
// it shows what each server's acknowledgement stands on. After `npm run build`:
//
//   node bench/flushes.mjs [--ct 200] [--associations 1,4] [--servers kakutei,orthanc,storescp]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePrivateNetwork, sendFiles, sleep, which } from './lib.mjs';
import { SERVERS } from './servers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const isolated = ensurePrivateNetwork(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    ct: { type: 'string', default: '200' },
    associations: { type: 'string', default: '1,4' },
    servers: { type: 'string', default: 'kakutei,orthanc,storescp' },
  },
});
for (const tool of ['storescu', 'strace']) {
  if (which(tool) === null) {
    console.error(`flushes: ${tool} is required`);
    process.exit(2);
  }
}
const { makeCtSeries } = await import(resolve(HERE, '..', 'dist', 'testing', 'fixtures', 'index.js'));
const work = mkdtempSync(join(tmpdir(), 'kakutei-flushes-'));
const KINDS = ['object files', 'directories', 'index', 'other'];
try {
  const files = await makeCtSeries(join(work, 'in'), Math.max(Number(values.ct), 4), { rows: 512, cols: 512 });
  const rows = [];
  for (const key of values.servers.split(',')) {
    const server = SERVERS[key];
    const why = server === undefined ? `unknown server ${key}` : server.unavailable(isolated);
    if (why !== null) {
      console.error(`flushes: ${key} skipped: ${why}`);
      continue;
    }
    for (const associations of values.associations.split(',').map(Number)) {
      const dir = join(work, 'run', key, String(associations));
      mkdirSync(dir, { recursive: true });
      const trace = join(dir, 'strace.txt');
      const handle = await server.start(dir, { wrapper: ['strace', '-f', '-y', '-qq', '-e', 'trace=fsync,fdatasync,syncfs,sync_file_range', '-o', trace] });
      // Only what the sending costs: the start-up's flushes are left out.
      await sleep(500);
      const from = statSync(trace).size;
      await sendFiles(handle.port, handle.ae, files, associations);
      await sleep(500);
      const to = statSync(trace).size;
      await stopTraced(handle.proc);
      const counts = countFlushes(readFileSync(trace).subarray(from, to).toString('latin1'));
      rows.push([server.label, String(associations), ...KINDS.map((kind) => ((counts.get(kind) ?? 0) / files.length).toFixed(2))]);
    }
  }
  console.log(`flushes per object, ${files.length} CT slices (512 × 512), storescu with TCP_NODELAY=1`);
  console.log(`| server | associations | ${KINDS.join(' | ')} |`);
  console.log(`| --- | --- | ${KINDS.map(() => '---').join(' | ')} |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** SIGTERM to the traced server (strace itself would detach and leave it running), then wait for both. */
async function stopTraced(proc) {
  const straced = proc.child.pid;
  const children = readFileSync(`/proc/${straced}/task/${straced}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  for (const pid of children) process.kill(pid, 'SIGTERM');
  const done = await Promise.race([proc.exited, sleep(15_000).then(() => null)]);
  if (done === null) {
    for (const pid of children) process.kill(pid, 'SIGKILL');
    await proc.exited;
  }
}

/** Flush calls in `strace -f -y` output, by what the descriptor named. */
function countFlushes(text) {
  const counts = new Map();
  for (const line of text.split('\n')) {
    // A call split by another thread's line ("<unfinished ...>") is counted at its first half, which names the file.
    const call = /^\d+\s+(fsync|fdatasync|syncfs|sync_file_range)\(\d+<([^>]*)>/.exec(line);
    if (call === null || / = -1 /.test(line)) continue;
    const kind = kindOf(call[2]);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

function kindOf(path) {
  if (/(\.sqlite|\/index\/index)(-wal|-journal|-shm)?$/.test(path)) return 'index';
  if (existsSync(path) && statSync(path).isDirectory()) return 'directories';
  // Kakutei's objects are written under tmp/ and linked; Orthanc's and storescp's are written in place.
  if (/\/objects\/tmp\/|\/storage\/|\/received\//.test(path)) return 'object files';
  return 'other';
}

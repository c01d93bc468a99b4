import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { readFileMeta } from '../dicom/part10/index.js';
import { createInstanceIndex, openDatabase } from '../index/index.js';
import { silentLogger } from '../log/index.js';
import { acknowledgedFiles, run } from '../testing/dcmtk.js';
import { makeCtSeries } from '../testing/fixtures/index.js';
import { startKakuteiProcess } from '../testing/server-process.js';
import { readStraceLog, type TracedCall } from '../testing/strace-log.js';
import { DCMTK_ENV, requireTools } from '../testing/tools.js';

function datasetSha256(path: string): { sha256: string; sopInstanceUid: string } {
  const bytes = readFileSync(path);
  const meta = readFileMeta(bytes);
  if (!meta.ok) throw new Error(`not a Part 10 file: ${path}`);
  return { sha256: createHash('sha256').update(bytes.subarray(meta.value.datasetOffset)).digest('hex'), sopInstanceUid: meta.value.sopInstanceUid };
}

describe('durability of acknowledged objects', () => {
  // Four associations: the index then commits records of several senders together.
  for (const associations of [1, 4]) {
    it(`keeps every object storescu saw acknowledged across kill -9 and restart (${associations === 1 ? 'one association' : `${associations} associations at once`})`, async (t) => {
      if (!requireTools(t, 'storescu', 'dump2dcm')) return;
      const work = mkdtempSync(join(tmpdir(), 'kakutei-crash-'));
      try {
        const files = await makeCtSeries(join(work, 'ct'), 500, { rows: 256, cols: 256 });
        const dataDir = join(work, 'data');
        const server = await startKakuteiProcess({ dataDir });
        const parts = Array.from({ length: associations }, (_, n) => files.filter((_, i) => i % associations === n));
        // Each sender's output apart: acknowledgedFiles reads one storescu's log.
        const outputs = parts.map(() => '');
        const senders = parts.map((part) => spawn('storescu', ['-v', '-aec', 'KAKUTEI', '127.0.0.1', String(server.dicomPort), ...part], { env: DCMTK_ENV }));
        const sendersDone = Promise.all(senders.map((sender) => new Promise<void>((resolve) => sender.on('close', () => resolve()))));
        let killing = false;
        const killed = new Promise<void>((resolve) => {
          senders.forEach((sender, n) => {
            const collect = (chunk: Buffer): void => {
              outputs[n] += chunk.toString('latin1');
              const successes = outputs.reduce((sum, output) => sum + (output.match(/Received Store Response \(Success\)/g) ?? []).length, 0);
              // Kill the server in the middle of the run, once a good share has been acknowledged.
              if (!killing && successes >= 120) {
                killing = true;
                void server.kill().then(resolve);
              }
            };
            sender.stdout.on('data', collect);
            sender.stderr.on('data', collect);
          });
        });
        await Promise.race([killed, sendersDone]);
        await sendersDone;
        const acknowledged = outputs.flatMap((output) => acknowledgedFiles(output));
        assert.ok(acknowledged.length >= 120 && acknowledged.length < 500, `killed mid-run (${acknowledged.length} acknowledged)`);

        // Restart on the same data: start-up recovery must not lose or alter anything.
        const restarted = await startKakuteiProcess({ dataDir });
        await restarted.stop();
        const database = await openDatabase(join(dataDir, 'kakutei.sqlite'), silentLogger());
        try {
          const index = createInstanceIndex(database);
          for (const file of acknowledged) {
            const expected = datasetSha256(file);
            const row = await index.getInstanceBySopInstanceUid(expected.sopInstanceUid);
            assert.ok(row, `acknowledged ${file} is indexed`);
            assert.equal(row.sha256, expected.sha256);
            const stored = join(dataDir, 'objects', 'sha256', expected.sha256.slice(0, 2), expected.sha256);
            assert.equal(datasetSha256(stored).sha256, expected.sha256, `stored bytes of ${file} match`);
          }
        } finally {
          await database.close();
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }

  // Per object, found by its content key (the link) and its SOP Instance UID (in the response's
  // bytes). With four senders the index commits records of several associations together, each
  // COMMIT waiting for the objects its rows name: the order must hold when their steps interleave.
  for (const associations of [1, 4]) {
    it(`orders file fsync → link → directory fsync → index commit → response, per object (strace, ${associations === 1 ? 'one association' : `${associations} associations at once`})`, async (t) => {
      if (!requireTools(t, 'storescu', 'dump2dcm', 'strace')) return;
      const work = mkdtempSync(join(tmpdir(), 'kakutei-strace-'));
      try {
        const files = await makeCtSeries(join(work, 'ct'), 24, { rows: 64, cols: 64 });
        const dataDir = join(work, 'data');
        const traceFile = join(work, 'trace.txt');
        const server = await startKakuteiProcess({
          dataDir,
          // -s 512: a C-STORE response's bytes, with the SOP Instance UID it answers for.
          wrapper: ['strace', '-f', '-y', '-qq', '-s', '512', '-e', 'trace=fsync,fdatasync,link,linkat,rename,renameat,renameat2,write,writev,pwrite64', '-o', traceFile],
          startTimeoutMs: 60_000,
        });
        const senders = Array.from({ length: associations }, (_, n) => files.filter((_, i) => i % associations === n));
        // Nagle off, as a modality's stack would: otherwise each answer waits for a delayed ACK and
        // the senders seldom overlap.
        const results = await Promise.all(senders.map((part) => run('storescu', ['-v', '-aec', 'KAKUTEI', '127.0.0.1', String(server.dicomPort), ...part], { env: DCMTK_ENV })));
        await server.stop();
        for (const result of results) assert.equal(result.code, 0, result.stdout + result.stderr);

        const calls = readStraceLog(traceFile);
        const objects = join(dataDir, 'objects', 'sha256');
        // A C-STORE-RSP is a P-DATA-TF PDU (type 0x04) written to the association's TCP socket.
        const isResponse = (call: TracedCall): boolean => /^(write|writev)$/.test(call.name) && /<(TCP[^>]*|socket:\[\d+\])>/.test(call.args) && /"\\4\\0/.test(call.args);
        assert.equal(calls.filter((call) => /^link(at)?$/.test(call.name) && call.args.includes(`${objects}/`)).length, files.length, 'one exclusive link per object');
        assert.equal(calls.filter(isResponse).length, files.length, 'one C-STORE response per object');
        const isFlush = (name: string): boolean => /^f(data)?sync$/.test(name);
        const first = (from: number, predicate: (call: TracedCall) => boolean): number => calls.findIndex((call, i) => i > from && predicate(call));
        const commits = new Set<number>();
        for (const file of files) {
          const { sha256, sopInstanceUid } = datasetSha256(file);
          const final = join(objects, sha256.slice(0, 2), sha256);
          const linkAt = calls.findIndex((call) => /^link(at)?$/.test(call.name) && call.args.includes(`"${final}"`));
          assert.ok(linkAt >= 0, `${sopInstanceUid}: linked under its content key`);
          const temp = /"([^"]+\/tmp\/[^"]+)"/.exec(calls[linkAt]!.args)?.[1];
          assert.ok(temp, calls[linkAt]!.args);
          // The flush that counts follows the temp file's last write.
          let lastWrite = -1;
          calls.forEach((call, i) => {
            if (i < linkAt && /^(write|writev|pwrite64)$/.test(call.name) && call.args.includes(`<${temp}>`)) lastWrite = i;
          });
          const fileSync = first(lastWrite, (call) => isFlush(call.name) && call.args.includes(`<${temp}>`));
          const dirSync = first(linkAt, (call) => isFlush(call.name) && call.args.includes(`<${dirname(final)}>`));
          const walSync = first(dirSync, (call) => isFlush(call.name) && /kakutei\.sqlite(-wal)?>/.test(call.args));
          const response = calls.findIndex((call) => isResponse(call) && call.args.includes(sopInstanceUid));
          assert.ok(lastWrite >= 0, `${sopInstanceUid}: its bytes are written to a temporary file`);
          assert.ok(fileSync > lastWrite && fileSync < linkAt, `${sopInstanceUid}: the temporary file is flushed after its last write, before the link`);
          assert.ok(dirSync > linkAt, `${sopInstanceUid}: the directory is flushed after the link`);
          assert.ok(walSync > dirSync, `${sopInstanceUid}: a WAL flush (the index commit) follows the directory flush`);
          assert.ok(response > walSync, `${sopInstanceUid}: answered only after that commit`);
          commits.add(walSync);
        }
        // With several senders, commits shared by objects of different associations (most runs).
        t.diagnostic(`${files.length} objects answered after ${commits.size} distinct WAL flushes`);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});

/** Names the server made under `root` (directories, files created, names given by rename or link), in trace order, leaving out what it removed again and what need not survive. */
function entriesMade(calls: readonly TracedCall[], root: string, existedBefore: ReadonlySet<string>): { path: string; at: number }[] {
  const quoted = (args: string): string[] => [...args.matchAll(/"([^"]*)"/g)].map((match) => match[1]!);
  const made: { path: string; at: number }[] = [];
  calls.forEach((call, at) => {
    if (!/^0$|^\d+</.test(call.result)) return;
    const paths = quoted(call.args).filter((path) => path === root || path.startsWith(`${root}/`));
    if (/^mkdir(at)?$/.test(call.name) && paths[0] !== undefined) made.push({ path: paths[0], at });
    // O_CREAT also opens a file that exists: those listed before the run are not new.
    if (call.name === 'openat' && call.args.includes('O_CREAT') && paths[0] !== undefined && !existedBefore.has(paths[0])) made.push({ path: paths[0], at });
    if (/^(rename(at2?)?|link(at)?)$/.test(call.name) && paths[1] !== undefined) made.push({ path: paths[1], at });
  });
  const removedLater = (path: string, at: number): boolean =>
    calls.some((call, i) => i > at && /^unlink(at)?$/.test(call.name) && call.result === '0' && quoted(call.args).includes(path)) ||
    calls.some((call, i) => i > at && /^rename(at2?)?$/.test(call.name) && call.result === '0' && quoted(call.args)[0] === path);
  // Not meant to survive: objects being written, and SQLite's shared-memory index (rebuilt from the WAL).
  const transient = (path: string): boolean => path.includes('/objects/tmp/') || path.endsWith('-shm');
  return made.filter(({ path, at }) => !transient(path) && !removedLater(path, at));
}

/** The entries no flush of their directory follows. */
function unflushed(calls: readonly TracedCall[], entries: readonly { path: string; at: number }[]): string[] {
  return entries.filter(({ path, at }) => !calls.some((call, i) => i > at && /^f(data)?sync$/.test(call.name) && call.args.includes(`<${dirname(path)}>`))).map(({ path }) => path);
}

function listTree(dir: string): Set<string> {
  const paths = new Set<string>([dir]);
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) paths.add(join(entry.parentPath, entry.name));
  return paths;
}

const NAMING_CALLS = ['strace', '-f', '-y', '-qq', '-e', 'trace=mkdir,mkdirat,openat,rename,renameat,renameat2,link,linkat,unlink,unlinkat,fsync,fdatasync', '-o'];

describe('durability of the names the server makes', () => {
  it('enters every file and directory it creates in its parent durably, on a first start and a restart that stores: a flush of the parent follows each (strace)', async (t) => {
    if (!requireTools(t, 'strace', 'storescu', 'dump2dcm')) return;
    const work = mkdtempSync(join(tmpdir(), 'kakutei-names-'));
    try {
      // Two levels the server makes itself: the data directory and the one above it.
      const site = join(work, 'site');
      const dataDir = join(site, 'data');
      const firstTrace = join(work, 'first.txt');
      const first = await startKakuteiProcess({ dataDir, wrapper: [...NAMING_CALLS, firstTrace], startTimeoutMs: 60_000 });
      await first.stop();
      const firstCalls = readStraceLog(firstTrace);
      const firstEntries = entriesMade(firstCalls, site, new Set());
      for (const expected of [site, dataDir, join(dataDir, 'kakutei.sqlite'), join(dataDir, 'initial-admin-password'), join(dataDir, 'keys'), join(dataDir, 'audit'), join(dataDir, 'objects')]) {
        assert.ok(firstEntries.some(({ path }) => path === expected), `the first start creates ${expected}`);
      }
      assert.deepEqual(unflushed(firstCalls, firstEntries), [], 'first start: each entry is followed by a flush of the directory that holds it');

      // Again on the same data, storing an object (the WAL, made again, is removed at the clean stop).
      const [file] = await makeCtSeries(join(work, 'ct'), 1, { rows: 64, cols: 64 });
      const existedBefore = listTree(dataDir);
      const secondTrace = join(work, 'second.txt');
      const second = await startKakuteiProcess({ dataDir, wrapper: [...NAMING_CALLS, secondTrace], startTimeoutMs: 60_000 });
      const sent = await run('storescu', ['-aec', 'KAKUTEI', '127.0.0.1', String(second.dicomPort), file!], { env: DCMTK_ENV });
      await second.stop();
      assert.equal(sent.code, 0, sent.stdout + sent.stderr);
      const secondCalls = readStraceLog(secondTrace);
      const secondEntries = entriesMade(secondCalls, site, existedBefore);
      const { sha256 } = datasetSha256(file!);
      const objectPath = join(dataDir, 'objects', 'sha256', sha256.slice(0, 2), sha256);
      assert.ok(secondEntries.some(({ path }) => path === objectPath), `the restart makes ${objectPath}`);
      assert.deepEqual(unflushed(secondCalls, secondEntries), [], 'restart: each entry is followed by a flush of the directory that holds it');
      t.diagnostic(`${firstEntries.length} entries made by the first start, ${secondEntries.length} by the restart, each flushed in its directory`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

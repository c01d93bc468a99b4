import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { readFileMeta } from '../dicom/part10/index.js';
import { createInstanceIndex, openDatabase } from '../index/index.js';
import { silentLogger } from '../log/index.js';
import { acknowledgedFiles, run, storescu } from '../testing/dcmtk.js';
import { makeCtSeries } from '../testing/fixtures/index.js';
import { startKakuteiProcess } from '../testing/server-process.js';
import { readStraceLog } from '../testing/strace-log.js';
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

  it('orders file fsync → link → directory fsync → index commit → response, per object (strace)', async (t) => {
    if (!requireTools(t, 'storescu', 'dump2dcm', 'strace')) return;
    const work = mkdtempSync(join(tmpdir(), 'kakutei-strace-'));
    try {
      const files = await makeCtSeries(join(work, 'ct'), 3, { rows: 64, cols: 64 });
      const dataDir = join(work, 'data');
      const traceFile = join(work, 'trace.txt');
      const server = await startKakuteiProcess({
        dataDir,
        wrapper: ['strace', '-f', '-y', '-qq', '-e', 'trace=fsync,fdatasync,link,linkat,rename,renameat,renameat2,write,writev,pwrite64', '-o', traceFile],
        startTimeoutMs: 60_000,
      });
      const result = await storescu(server.dicomPort, files);
      await server.stop();
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(acknowledgedFiles(result.stdout + result.stderr).length, 3);

      const calls = readStraceLog(traceFile);
      const objects = join(dataDir, 'objects');
      // A C-STORE-RSP is a P-DATA-TF PDU (type 0x04) written to the association's TCP socket.
      const responses = calls
        .map((call, position) => ({ call, position }))
        .filter(({ call }) => /^(write|writev)$/.test(call.name) && /<(TCP[^>]*|socket:\[\d+\])>/.test(call.args) && /"\\4\\0/.test(call.args));
      const links = calls.map((call, position) => ({ call, position })).filter(({ call }) => /^link(at)?$/.test(call.name) && call.args.includes(`${objects}/sha256/`));
      assert.equal(links.length, 3, 'one exclusive link per object');
      assert.equal(responses.length, 3, 'one C-STORE response per object');
      let previousResponse = -1;
      links.forEach(({ call: link, position: linkAt }, n) => {
        const temp = /"([^"]+\/tmp\/[^"]+)"/.exec(link.args)?.[1];
        const final = /"([^"]+\/sha256\/[^"]+)"[^"]*$/.exec(link.args)?.[1];
        assert.ok(temp && final, link.args);
        const finalDir = final.slice(0, final.lastIndexOf('/'));
        const find = (from: number, to: number, predicate: (args: string, name: string) => boolean): number => {
          for (let i = from; i < to; i++) if (predicate(calls[i]!.args, calls[i]!.name)) return i;
          return -1;
        };
        // The flush that counts follows the temp file's last write (large objects are also flushed
        // while they arrive; those flushes prove nothing about the tail).
        let lastWrite = previousResponse;
        for (let i = previousResponse + 1; i < linkAt; i++) if (/^(write|writev|pwrite64)$/.test(calls[i]!.name) && calls[i]!.args.includes(`<${temp}>`)) lastWrite = i;
        const fileSync = find(lastWrite + 1, linkAt, (args, name) => /^f(data)?sync$/.test(name) && args.includes(`<${temp}>`));
        const dirSync = find(linkAt + 1, calls.length, (args, name) => /^f(data)?sync$/.test(name) && args.includes(`<${finalDir}>`));
        const commit = find(dirSync + 1, calls.length, (args, name) => /^f(data)?sync$/.test(name) && /kakutei\.sqlite(-wal)?>/.test(args));
        const response = responses[n]!.position;
        assert.ok(lastWrite > previousResponse, `object ${n}: its bytes are written to the temp file`);
        assert.ok(fileSync >= 0, `object ${n}: the temp file is fsynced after its last write and before it is linked`);
        assert.ok(dirSync > linkAt, `object ${n}: the directory is fsynced after the link`);
        assert.ok(commit > dirSync, `object ${n}: the index commit (WAL sync) follows the directory fsync`);
        assert.ok(response > commit, `object ${n}: the response is sent only after the commit`);
        previousResponse = response;
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  // With several senders the index commits records in groups, each COMMIT waiting for the objects
  // its rows name: the same order must hold per object when their steps interleave.
  it('keeps that order per object with four associations storing at once (strace)', async (t) => {
    if (!requireTools(t, 'storescu', 'dump2dcm', 'strace')) return;
    const work = mkdtempSync(join(tmpdir(), 'kakutei-strace4-'));
    try {
      const files = await makeCtSeries(join(work, 'ct'), 24, { rows: 64, cols: 64 });
      const dataDir = join(work, 'data');
      const traceFile = join(work, 'trace.txt');
      const server = await startKakuteiProcess({
        dataDir,
        // -s 512: a C-STORE response's bytes, with the SOP Instance UID it answers for.
        wrapper: ['strace', '-f', '-y', '-qq', '-s', '512', '-e', 'trace=fsync,fdatasync,link,linkat,write,writev,pwrite64', '-o', traceFile],
        startTimeoutMs: 60_000,
      });
      const senders = [0, 1, 2, 3].map((n) => files.filter((_, i) => i % 4 === n));
      // Nagle off, as a modality's stack would: otherwise each answer waits for a delayed ACK and
      // the senders seldom overlap.
      const results = await Promise.all(senders.map((part) => run('storescu', ['-v', '-aec', 'KAKUTEI', '127.0.0.1', String(server.dicomPort), ...part], { env: DCMTK_ENV })));
      await server.stop();
      for (const result of results) assert.equal(result.code, 0, result.stdout + result.stderr);

      const calls = readStraceLog(traceFile);
      const isFlush = (name: string): boolean => /^f(data)?sync$/.test(name);
      const first = (from: number, predicate: (call: (typeof calls)[number]) => boolean): number => calls.findIndex((call, i) => i > from && predicate(call));
      const commits = new Set<number>();
      for (const file of files) {
        const { sha256, sopInstanceUid } = datasetSha256(file);
        const final = join(dataDir, 'objects', 'sha256', sha256.slice(0, 2), sha256);
        const linkAt = calls.findIndex((call) => /^link(at)?$/.test(call.name) && call.args.includes(`"${final}"`));
        assert.ok(linkAt >= 0, `${sopInstanceUid}: linked under its content key`);
        const temp = /"([^"]+\/tmp\/[^"]+)"/.exec(calls[linkAt]!.args)?.[1];
        assert.ok(temp, calls[linkAt]!.args);
        let lastWrite = -1;
        calls.forEach((call, i) => {
          if (i < linkAt && /^(write|writev|pwrite64)$/.test(call.name) && call.args.includes(`<${temp}>`)) lastWrite = i;
        });
        const fileSync = first(lastWrite, (call) => isFlush(call.name) && call.args.includes(`<${temp}>`));
        const dirSync = first(linkAt, (call) => isFlush(call.name) && call.args.includes(`<${dirname(final)}>`));
        const walSync = first(dirSync, (call) => isFlush(call.name) && /kakutei\.sqlite-wal>/.test(call.args));
        const response = calls.findIndex((call) => /^(write|writev)$/.test(call.name) && /<(TCP[^>]*|socket:\[\d+\])>/.test(call.args) && /"\\4\\0/.test(call.args) && call.args.includes(sopInstanceUid));
        assert.ok(lastWrite >= 0, `${sopInstanceUid}: its bytes are written to a temporary file`);
        assert.ok(fileSync > lastWrite && fileSync < linkAt, `${sopInstanceUid}: the temporary file is flushed after its last write, before the link`);
        assert.ok(dirSync > linkAt, `${sopInstanceUid}: the directory is flushed after the link`);
        assert.ok(walSync > dirSync, `${sopInstanceUid}: a WAL flush (the index commit) follows the directory flush`);
        assert.ok(response > walSync, `${sopInstanceUid}: answered only after that commit`);
        commits.add(walSync);
      }
      // What this test is for: commits shared by objects of different associations (most runs).
      t.diagnostic(`${files.length} objects answered after ${commits.size} distinct WAL flushes`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ObjectKey, ObjectStore } from '../object-store.js';
import { StorageError } from '../storage-error.js';
import { createFilesystemStore, type FilesystemObjectStore } from './filesystem-store.js';
import { nodeFsOps } from './fs-ops.js';
import { recordingFsOps } from './testing/recording-fs-ops.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function put(store: ObjectStore, prefix: Uint8Array, ...chunks: Uint8Array[]) {
  const pending = await store.beginPut(prefix);
  for (const chunk of chunks) await pending.write(chunk);
  return pending.commit();
}

/** Files in `tmp/` but for the empty ones the store keeps in reserve for the next objects (closing the store removes those too). */
async function objectTempFiles(store: FilesystemObjectStore, rootDir: string): Promise<string[]> {
  const reserved = new Set(store.reservedTempFileNames());
  return (await readdir(join(rootDir, 'tmp'))).filter((name) => !reserved.has(name));
}

describe('filesystem object store', () => {
  let base: string;
  let counter = 0;
  const freshRoot = (): string => join(base, `store-${++counter}`);

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kakutei-store-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('stores prefix and content, keyed by the SHA-256 of the content only', async () => {
    const store = await createFilesystemStore({ rootDir: freshRoot() });
    const prefix = bytesOf('PREFIX');
    const content = [bytesOf('hello '), bytesOf('world')];
    const committed = await put(store, prefix, ...content);
    assert.equal(committed.key, sha256(bytesOf('hello world')));
    assert.equal(committed.sha256, committed.key);
    assert.equal(committed.contentBytes, 11);
    assert.equal(committed.fileBytes, 17);
    assert.equal(committed.existed, false);
    assert.equal((await readAll(store.get(committed.key))).toString(), 'PREFIXhello world');
    assert.deepEqual(await store.stat(committed.key), { sizeBytes: 17 });
  });

  it('lays objects out as sha256/ab/<key> and leaves tmp/ empty', async () => {
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir });
    const { key } = await put(store, new Uint8Array(0), bytesOf('layout'));
    assert.deepEqual(await readdir(join(rootDir, 'sha256', key.slice(0, 2))), [key]);
    assert.deepEqual(await objectTempFiles(store, rootDir), [], 'only the empty files kept in reserve');
    await store.close();
    assert.deepEqual(await readdir(join(rootDir, 'tmp')), [], 'closing the store removes the reserve');
  });

  it('reports existed=true for identical content and keeps the first file', async () => {
    const store = await createFilesystemStore({ rootDir: freshRoot() });
    const first = await put(store, bytesOf('AAAA'), bytesOf('same content'));
    const second = await put(store, bytesOf('BB'), bytesOf('same '), bytesOf('content'));
    assert.equal(second.key, first.key);
    assert.equal(second.existed, true);
    assert.equal(second.fileBytes, first.fileBytes, 'fileBytes describes the file actually stored');
    assert.equal((await readAll(store.get(first.key))).toString(), 'AAAAsame content');
  });

  it('on an existing key removes the temporary file and still syncs the object directory', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir, fsOps: recorder.ops });
    await put(store, new Uint8Array(0), bytesOf('twice'));
    recorder.calls.length = 0;
    const pending = await store.beginPut();
    await pending.write(bytesOf('twice'));
    const { key, existed } = await pending.commit();
    assert.equal(existed, true);
    await pending.discard(); // after a commit: waits for the temporary name to be gone
    const finalDir = join(rootDir, 'sha256', key.slice(0, 2));
    const tail = recorder.calls.filter((c) => ['link', 'unlink', 'fsyncDirectory'].includes(c.op));
    assert.deepEqual(tail, [
      { op: 'link', path: pending.tempPath, target: join(finalDir, key) },
      { op: 'fsyncDirectory', path: finalDir },
      { op: 'unlink', path: pending.tempPath },
    ]);
    assert.deepEqual(await objectTempFiles(store, rootDir), []);
  });

  it('never overwrites an existing object file, whatever it holds', async () => {
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir });
    const content = bytesOf('new bytes');
    const key = sha256(content);
    const finalPath = join(rootDir, 'sha256', key.slice(0, 2), key);
    await mkdir(dirname(finalPath), { recursive: true });
    await writeFile(finalPath, 'planted');
    const committed = await put(store, new Uint8Array(0), content);
    assert.equal(committed.existed, true);
    assert.equal(await readFile(finalPath, 'utf8'), 'planted');
  });

  it('commits in the order fsync file, link, fsync directory — then drops the temporary name', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir, fsOps: recorder.ops });
    // The second object's file comes from the reserve, created while the first one was flushed.
    for (const text of ['first object', 'second object']) {
      const start = recorder.calls.length;
      const pending = await store.beginPut(bytesOf('P'));
      await pending.write(bytesOf(text));
      const { key } = await pending.commit();
      const temp = pending.tempPath;
      const finalDir = join(rootDir, 'sha256', key.slice(0, 2));
      const final = join(finalDir, key);
      const durable = [
        { op: 'openExclusive', path: temp },
        { op: 'write', path: temp },
        { op: 'syncData', path: temp },
        { op: 'link', path: temp, target: final },
        { op: 'fsyncDirectory', path: finalDir },
      ];
      // This object's calls: its temporary file (whose second descriptor, for direct writes, is
      // opened and closed beside the first), and its directory's fsync.
      const ofObject = () =>
        recorder.calls.filter((c, i) => (c.path === temp && c.op !== 'openDirect') || (i >= start && c.op === 'fsyncDirectory' && c.path === finalDir));
      // When commit resolves, everything durability needs has happened, in this order.
      assert.deepEqual(ofObject().slice(0, durable.length), durable);
      await pending.discard(); // after a commit: waits for the clean-up
      assert.deepEqual([...new Set(ofObject().slice(durable.length).map((c) => c.op))].sort(), ['close', 'unlink']);
      // A directory created for the fan-out is made durable in its parent before the link.
      const calls = recorder.calls.slice(start);
      for (const dir of calls.filter((c) => c.op === 'mkdir').map((c) => c.path)) {
        const created = calls.findIndex((c) => c.op === 'mkdir' && c.path === dir);
        const parentSynced = calls.findIndex((c) => c.op === 'fsyncDirectory' && c.path === dirname(dir));
        const linked = calls.findIndex((c) => c.op === 'link');
        assert.ok(created < parentSynced && parentSynced < linked, `parent of ${dir} synced before link`);
      }
    }
  });

  it('creates the next temporary files while an object arrives; the next object takes one already open', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir, fsOps: recorder.ops });
    const first = await store.beginPut(bytesOf('P'));
    await first.write(bytesOf('first'));
    await first.commit();
    const created = recorder.calls.filter((c) => c.op === 'openExclusive').map((c) => c.path);
    assert.equal(created.length, 3, 'its own file, then two in reserve');
    assert.ok(recorder.calls.findIndex((c) => c.op === 'openExclusive' && c.path === created[1]) < recorder.calls.findIndex((c) => c.op === 'syncData'), 'made before the flush');
    const opensBefore = created.length;
    const second = await store.beginPut(bytesOf('P'));
    assert.ok(created.includes(second.tempPath), 'taken from the reserve');
    await second.write(bytesOf('second'));
    const { key } = await second.commit();
    assert.deepEqual(await readAll(store.get(key)), Buffer.from('Psecond'));
    assert.equal(recorder.calls.filter((c) => c.op === 'openExclusive').length, opensBefore + 1, 'the reserve topped up by one');
    await first.discard();
    await second.discard();
    await store.close();
    assert.deepEqual(await readdir(join(rootDir, 'tmp')), []);
  });

  it('does not hand out a reserve file that could not be created', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const store = await createFilesystemStore({ rootDir: freshRoot(), fsOps: recorder.ops });
    const first = await store.beginPut();
    recorder.failNext('openExclusive', 'EMFILE'); // the first file made for the reserve
    await first.write(bytesOf('first'));
    await new Promise((resolve) => setImmediate(resolve)); // the reserve is made
    await first.commit();
    for (const text of ['second', 'third', 'fourth']) {
      const pending = await store.beginPut();
      await pending.write(bytesOf(text));
      const { key } = await pending.commit();
      assert.equal(key, sha256(bytesOf(text)));
      await pending.discard();
    }
    await first.discard();
    await store.close();
  });

  it('coalesces small chunks and hashes exactly the content bytes across buffer boundaries', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const store = await createFilesystemStore({ rootDir: freshRoot(), fsOps: recorder.ops, writeBufferBytes: 64 });
    const content = Buffer.alloc(1000);
    for (let i = 0; i < content.length; i++) content[i] = (i * 7) % 251;
    const pending = await store.beginPut(bytesOf('0123456789'));
    // Sizes chosen to straddle the 64-byte buffer: tiny, exact, larger than the buffer.
    const sizes = [1, 5, 64, 200, 3, 63, 64, 600];
    let offset = 0;
    for (const size of sizes) {
      await pending.write(content.subarray(offset, offset + size));
      offset += size;
    }
    assert.equal(offset, 1000);
    const committed = await pending.commit();
    assert.equal(committed.key, sha256(content));
    assert.deepEqual(await readAll(store.get(committed.key)), Buffer.concat([Buffer.from('0123456789'), content]));
    const writes = recorder.calls.filter((c) => c.op === 'write').length;
    assert.ok(writes < sizes.length + 1, `${writes} writes for ${sizes.length} chunks and a prefix`);
  });

  it('keeps chunk order when writes are not awaited one by one', async () => {
    const store = await createFilesystemStore({ rootDir: freshRoot(), writeBufferBytes: 16 });
    const pending = await store.beginPut();
    const parts = Array.from({ length: 50 }, (_, i) => bytesOf(`part-${i};`));
    await Promise.all(parts.map((part) => pending.write(part)));
    const committed = await pending.commit();
    const expected = parts.map((p) => Buffer.from(p).toString()).join('');
    assert.equal((await readAll(store.get(committed.key))).toString(), expected);
  });

  it('makes every accepted byte readable at tempPath after flush()', async () => {
    const store = await createFilesystemStore({ rootDir: freshRoot() });
    const pending = await store.beginPut(bytesOf('PRE'));
    await pending.write(bytesOf('abc'));
    assert.ok(pending.flush !== undefined);
    await pending.flush();
    assert.equal(await readFile(pending.tempPath, 'utf8'), 'PREabc');
    assert.equal(pending.prefixBytes, 3);
    assert.equal(pending.contentBytes, 3);
    await pending.discard();
  });

  it('reads byte ranges [start, endExclusive)', async () => {
    const store = await createFilesystemStore({ rootDir: freshRoot() });
    const { key } = await put(store, bytesOf('0123'), bytesOf('456789'));
    assert.equal((await readAll(store.getRange(key, 2, 6))).toString(), '2345');
    assert.equal((await readAll(store.getRange(key, 0, 10))).toString(), '0123456789');
    assert.equal((await readAll(store.getRange(key, 9, 10))).toString(), '9');
    assert.equal((await readAll(store.getRange(key, 5, 5))).length, 0);
    assert.throws(() => store.getRange(key, 6, 5), RangeError);
    assert.throws(() => store.getRange(key, -1, 5), RangeError);
  });

  it('refuses anything but a 64-hex key before building a path', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const store = await createFilesystemStore({ rootDir: freshRoot(), fsOps: recorder.ops });
    recorder.calls.length = 0;
    for (const bad of ['../../etc/passwd', 'A'.repeat(64), `${'a'.repeat(63)}/`, '']) {
      assert.throws(() => store.get(bad as ObjectKey), RangeError);
      await assert.rejects(store.stat(bad as ObjectKey), RangeError);
      await assert.rejects(store.delete(bad as ObjectKey), RangeError);
    }
    assert.deepEqual(recorder.calls, []);
  });

  it('removes leftovers of a crash from tmp/ at start-up', async () => {
    const rootDir = freshRoot();
    const first = await createFilesystemStore({ rootDir });
    const abandoned = await first.beginPut(bytesOf('never acknowledged'));
    await abandoned.write(bytesOf('partial'));
    await abandoned.flush?.();
    await writeFile(join(rootDir, 'tmp', 'operator-note.txt'), 'not ours');
    // The process "crashes": the pending object is simply never committed nor discarded.
    await createFilesystemStore({ rootDir });
    assert.deepEqual(await readdir(join(rootDir, 'tmp')), ['operator-note.txt']);
    await abandoned.discard(); // closes the descriptor a real crash would have closed
    await rm(join(rootDir, 'tmp', 'operator-note.txt'));
  });

  it('discard leaves nothing behind, before or after data was written', async () => {
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir });
    const empty = await store.beginPut(bytesOf('prefix'));
    await empty.discard();
    const written = await store.beginPut(bytesOf('prefix'));
    await written.write(Buffer.alloc(3 * 1024 * 1024, 1));
    await written.discard();
    await written.discard();
    await store.close(); // and with it the files kept in reserve
    assert.deepEqual(await readdir(join(rootDir, 'tmp')), []);
    const fanOut = await readdir(join(rootDir, 'sha256'));
    assert.equal(fanOut.length, 256, 'the fan-out directories, made at open');
    for (const dir of fanOut) assert.deepEqual(await readdir(join(rootDir, 'sha256', dir)), []);
    await assert.rejects(written.write(bytesOf('late')), StorageError);
  });

  it('sync() makes the bytes durable before any name points at them; commit then only links', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir, fsOps: recorder.ops });
    recorder.calls.length = 0;
    const pending = await store.beginPut(bytesOf('P'));
    await pending.write(bytesOf('synced early'));
    const synced = pending.sync();
    assert.equal(pending.sync(), synced, 'a second call returns the same promise');
    await synced;
    assert.deepEqual(
      recorder.calls.filter((c) => c.path === pending.tempPath && c.op !== 'openDirect').map((c) => c.op),
      ['openExclusive', 'write', 'syncData'],
    );
    await assert.rejects(pending.write(bytesOf('too late')), StorageError);
    const { key } = await pending.commit();
    assert.equal(recorder.calls.filter((c) => c.op === 'syncData').length, 1, 'commit does not sync again');
    assert.equal(key, sha256(bytesOf('synced early')));
    assert.deepEqual(await readAll(store.get(key)), Buffer.from('Psynced early'));
  });

  it('names the content once writing has ended, and says when the final flush is issued', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const store = await createFilesystemStore({ rootDir: freshRoot(), fsOps: recorder.ops });
    const pending = await store.beginPut(bytesOf('P'));
    await pending.write(bytesOf('named early'));
    assert.throws(() => pending.contentKey(), StorageError, 'no key while bytes may still come');
    recorder.calls.length = 0;
    const synced = pending.sync();
    assert.equal(pending.contentKey(), sha256(bytesOf('named early')));
    await pending.flushIssued();
    assert.deepEqual(
      recorder.calls.filter((c) => c.path === pending.tempPath).map((c) => c.op),
      ['write', 'syncData'],
      'issued after the last write',
    );
    await synced;
    const { key } = await pending.commit();
    assert.equal(key, pending.contentKey());

    // A sync that fails before any flush still settles flushIssued (it never rejects).
    const failing = await store.beginPut();
    recorder.failNext('write', 'EIO');
    await failing.write(bytesOf('x'.repeat(10)));
    await assert.rejects(failing.sync(), StorageError);
    await failing.flushIssued();
    await failing.discard();
  });

  it('writes a full buffer while the next one fills, and fails the object when that write fails', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir, fsOps: recorder.ops, writeBufferBytes: 16 });
    const pending = await store.beginPut();
    recorder.failNext('write', 'EIO');
    // The first buffer's write runs behind: the chunk that filled it is accepted...
    await pending.write(Buffer.alloc(10, 1));
    await pending.write(Buffer.alloc(10, 2));
    assert.equal(recorder.calls.filter((c) => c.op === 'write').length, 1, 'the full buffer is on its way');
    // ...and the failure surfaces at the next write that has to wait for it, or at the latest at commit.
    const later = await pending.write(Buffer.alloc(20, 3)).then(
      () => null,
      (cause: unknown) => cause,
    );
    const commit = await pending.commit().then(
      () => null,
      (cause: unknown) => cause,
    );
    assert.ok(later instanceof StorageError || commit instanceof StorageError);
    assert.ok(commit instanceof StorageError, 'an object with a failed write is never committed');
    await pending.discard();
    assert.deepEqual(await objectTempFiles(store, rootDir), []);
    assert.equal(recorder.calls.some((c) => c.op === 'link'), false);
  });

  it('writes the tail at once, beside a buffer still being written, and keeps every byte in place', async () => {
    const inner = nodeFsOps();
    let releaseFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const order: string[] = [];
    let writes = 0;
    const slowFirstWrite = {
      ...inner,
      async write(file: Parameters<typeof inner.write>[0], data: Uint8Array, position: number) {
        const n = ++writes;
        order.push(`start ${n}@${position}`);
        if (n === 1) await firstHeld;
        await inner.write(file, data, position);
        order.push(`done ${n}`);
      },
    };
    const store = await createFilesystemStore({ rootDir: freshRoot(), fsOps: slowFirstWrite, writeBufferBytes: 16, writeBackBytes: 1 << 20 });
    const pending = await store.beginPut(bytesOf('PP'));
    const content = Buffer.from(Array.from({ length: 21 }, (_, n) => 65 + n));
    await pending.write(content.subarray(0, 14)); // fills the first buffer with the prefix: written behind, held
    await pending.write(content.subarray(14)); // the tail, in the second buffer
    const committing = pending.commit();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, ['start 1@0', 'start 2@16'], 'the tail is written while the first buffer still is');
    releaseFirst();
    const { key } = await committing;
    assert.deepEqual(await readAll(store.get(key)), Buffer.concat([bytesOf('PP'), content]));
    await pending.discard();
  });

  it('flushes a large object while it arrives, and still flushes after its last byte', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir, fsOps: recorder.ops, writeBufferBytes: 16, writeBackBytes: 32 });
    recorder.calls.length = 0;
    const pending = await store.beginPut();
    for (let n = 0; n < 8; n++) await pending.write(Buffer.alloc(16, n));
    await pending.write(Buffer.alloc(5, 9));
    const ops = () => recorder.calls.filter((c) => c.op === 'write' || c.op === 'syncData').map((c) => c.op);
    assert.ok(ops().includes('syncData'), `a flush before the commit asks for one: ${ops().join(' ')}`);
    const { key } = await pending.commit();
    const beforeLink = recorder.calls.slice(0, recorder.calls.findIndex((c) => c.op === 'link'));
    const lastWrite = beforeLink.map((c) => c.op).lastIndexOf('write');
    assert.ok(beforeLink.slice(lastWrite + 1).some((c) => c.op === 'syncData'), 'the last write is flushed before the link');
    assert.equal((await readAll(store.get(key))).length, 8 * 16 + 5);
    await pending.discard();
  });

  it('small objects are flushed once, after their last byte', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const store = await createFilesystemStore({ rootDir: freshRoot(), fsOps: recorder.ops, writeBufferBytes: 16, writeBackBytes: 64 });
    recorder.calls.length = 0;
    const pending = await store.beginPut();
    for (let n = 0; n < 3; n++) await pending.write(Buffer.alloc(16, n));
    await pending.commit();
    assert.equal(recorder.calls.filter((c) => c.op === 'syncData').length, 1);
    await pending.discard();
  });

  it('fails the object when a flush during receipt fails, even if the last flush succeeds', async () => {
    // Linux reports a writeback error once per descriptor: the flush after the last byte would
    // succeed over pages the kernel may already have dropped. Here the write-back flush is still
    // running when the commit starts, and fails only after the final flush has succeeded.
    const recorder = recordingFsOps(nodeFsOps());
    let failWriteBack: () => void = () => undefined;
    const writeBackFailing = new Promise<void>((resolve) => (failWriteBack = resolve));
    let syncs = 0;
    const ops = {
      ...recorder.ops,
      async syncData(file: Parameters<typeof recorder.ops.syncData>[0]) {
        if (++syncs > 1) return recorder.ops.syncData(file);
        await writeBackFailing;
        throw Object.assign(new Error('injected EIO'), { code: 'EIO' });
      },
    };
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir, fsOps: ops, writeBufferBytes: 16, writeBackBytes: 16 });
    const pending = await store.beginPut();
    await pending.write(Buffer.alloc(10, 1));
    await pending.write(Buffer.alloc(6, 2)); // fills the buffer: written behind, then flushed
    while (syncs === 0) await new Promise((resolve) => setImmediate(resolve));
    const committing = pending.commit().then(
      () => null,
      (cause: unknown) => cause,
    );
    while (syncs < 2) await new Promise((resolve) => setImmediate(resolve));
    failWriteBack();
    const failure = await committing;
    assert.ok(failure instanceof StorageError && failure.kakutei.code === 'STORAGE_IO', String(failure));
    await pending.discard();
    assert.deepEqual(await objectTempFiles(store, rootDir), []);
    assert.equal(recorder.calls.some((c) => c.op === 'link'), false);
  });

  it('maps a full disk to STORAGE_FULL and can still discard', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir, fsOps: recorder.ops, writeBufferBytes: 16 });
    const pending = await store.beginPut();
    recorder.failNext('write', 'ENOSPC');
    const failure = await pending.write(Buffer.alloc(64)).then(
      () => null,
      (cause: unknown) => cause,
    );
    assert.ok(failure instanceof StorageError);
    assert.equal(failure.kakutei.code, 'STORAGE_FULL');
    await assert.rejects(pending.commit(), StorageError);
    await pending.discard();
    assert.deepEqual(await objectTempFiles(store, rootDir), []);
  });

  it('maps a failed fsync to STORAGE_IO and publishes no object', async () => {
    const recorder = recordingFsOps(nodeFsOps());
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir, fsOps: recorder.ops });
    const pending = await store.beginPut();
    await pending.write(bytesOf('doomed'));
    recorder.failNext('syncData', 'EIO');
    await assert.rejects(pending.commit(), (e: unknown) => e instanceof StorageError && e.kakutei.code === 'STORAGE_IO');
    await pending.discard();
    assert.equal(await store.stat(sha256(bytesOf('doomed')) as ObjectKey), null);
    assert.deepEqual(await objectTempFiles(store, rootDir), []);
    assert.equal(recorder.calls.some((c) => c.op === 'link'), false);
  });

  it('checks writability, reports free bytes and deletes deliberately', async () => {
    const rootDir = freshRoot();
    const store = await createFilesystemStore({ rootDir });
    await store.check();
    assert.deepEqual(await objectTempFiles(store, rootDir), []);
    assert.ok((await store.freeBytes()) > 0);
    const { key } = await put(store, new Uint8Array(0), bytesOf('to delete'));
    await store.delete(key);
    assert.equal(await store.stat(key), null);
    await store.delete(key);
    assert.deepEqual(store.capabilities, { rangeReads: true, exclusiveCreate: true, durableCommit: true });
  });
});

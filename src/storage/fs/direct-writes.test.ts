import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ObjectStore } from '../object-store.js';
import { BufferPool, DIRECT_IO_ALIGNMENT } from './buffer-pool.js';
import { createFilesystemStore } from './filesystem-store.js';
import { nodeFsOps, type FsFile, type FsOps } from './fs-ops.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Deterministic bytes that differ at every offset a misplaced block would show. */
function patterned(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

interface LoggedWrite {
  readonly direct: boolean;
  readonly position: number;
  readonly length: number;
}

/** The real filesystem calls, with each write logged by descriptor kind; `refuse` makes direct I/O fail as a filesystem would. */
function loggingOps(refuse: 'none' | 'open' | 'write' = 'none') {
  const inner = nodeFsOps();
  const directFiles = new WeakSet<FsFile>();
  const writes: LoggedWrite[] = [];
  let directOpens = 0;
  const ops: FsOps = {
    ...inner,
    async openDirect(path) {
      directOpens++;
      if (refuse === 'open') return null;
      const file = await inner.openDirect(path);
      if (file !== null) directFiles.add(file);
      return file;
    },
    async write(file, data, position) {
      const direct = directFiles.has(file);
      writes.push({ direct, position, length: data.length });
      if (direct && refuse === 'write') throw Object.assign(new Error('injected EINVAL'), { code: 'EINVAL' });
      return inner.write(file, data, position);
    },
  };
  return { ops, writes, directOpens: () => directOpens };
}

async function store(rootDir: string, ops: FsOps, directWrites?: boolean): Promise<ObjectStore> {
  return createFilesystemStore({ rootDir, fsOps: ops, ...(directWrites === undefined ? {} : { directWrites }) });
}

/** Writes `content` behind `prefix` in chunks of the given sizes (cycled), then commits. */
async function putChunked(target: ObjectStore, prefix: Uint8Array, content: Buffer, chunkSizes: readonly number[]) {
  const pending = await target.beginPut(prefix);
  let offset = 0;
  for (let n = 0; offset < content.length; n++) {
    const size = chunkSizes[n % chunkSizes.length]!;
    await pending.write(content.subarray(offset, offset + size));
    offset += size;
  }
  const committed = await pending.commit();
  await pending.discard(); // after a commit: waits for the clean-up
  return committed;
}

describe('direct writes (O_DIRECT) of the filesystem store', () => {
  let base: string;
  let counter = 0;
  /** Whether the filesystem under the test directory does direct I/O at all (tmpfs may not). */
  let filesystemDirect = false;
  const freshRoot = (): string => join(base, `store-${++counter}`);

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kakutei-direct-'));
    const probe = join(base, 'probe');
    const ops = nodeFsOps();
    const file = await ops.openExclusive(probe, 0o600);
    const direct = await ops.openDirect(probe);
    filesystemDirect = direct !== null;
    if (direct !== null) await ops.close(direct);
    await ops.close(file);
    await rm(probe);
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('stores every size byte for byte: whole blocks of full buffers directly, the rest through the page cache', async () => {
    const logged = loggingOps();
    const rootDir = freshRoot();
    const target = await store(rootDir, logged.ops);
    const prefix = patterned(300, 7); // a preamble and file meta group of an unaligned length
    const sizes = [0, 1, 4095, 4096, 256 * 1024 - 300, 256 * 1024 - 299, 512 * 1024 + 1400, 3 * 1024 * 1024 + 7];
    for (const [n, size] of sizes.entries()) {
      const content = patterned(size, 100 + n);
      logged.writes.length = 0;
      const committed = await putChunked(target, prefix, content, [16 * 1024, 65536, 1000, 300 * 1024]);
      assert.equal(committed.key, sha256(content), `size ${size}`);
      assert.equal(committed.fileBytes, prefix.length + size);
      const stored = await readFile(join(rootDir, 'sha256', committed.key.slice(0, 2), committed.key));
      assert.ok(stored.equals(Buffer.concat([prefix, content])), `size ${size}: the file is the prefix and the content`);
      for (const write of logged.writes.filter((w) => w.direct)) {
        assert.equal(write.position % DIRECT_IO_ALIGNMENT, 0, 'a direct write starts on a block');
        assert.equal(write.length % DIRECT_IO_ALIGNMENT, 0, 'a direct write is whole blocks');
      }
      const total = prefix.length + size;
      const direct = logged.writes.filter((w) => w.direct).reduce((sum, w) => sum + w.length, 0);
      if (filesystemDirect && total >= 256 * 1024) {
        assert.ok(direct >= total - (total % (256 * 1024)) - DIRECT_IO_ALIGNMENT, `size ${size}: ${direct} of ${total} bytes written directly`);
      }
      if (!filesystemDirect) assert.equal(direct, 0);
    }
    await target.close(); // and with it the files kept in reserve
    assert.deepEqual(await readdir(join(rootDir, 'tmp')), []);
  });

  it('writes through the page cache, and stops trying, where the filesystem does not open files for direct I/O', async () => {
    const logged = loggingOps('open');
    const target = await store(freshRoot(), logged.ops);
    for (const seed of [1, 2]) {
      const content = patterned(700 * 1024, seed);
      const committed = await putChunked(target, new Uint8Array(132), content, [65536]);
      assert.equal(committed.key, sha256(content));
    }
    assert.equal(logged.directOpens(), 1, 'asked once, not for every object');
    assert.equal(logged.writes.some((w) => w.direct), false);
  });

  it('writes a refused direct write again through the page cache, and writes no more directly', async (t) => {
    if (!filesystemDirect) {
      if (process.env.CI === 'true') assert.fail('the CI filesystem is expected to do direct I/O');
      t.skip(`${tmpdir()} does no direct I/O: no direct write to refuse (the fallback at open is tested above)`);
      return;
    }
    const logged = loggingOps('write');
    const rootDir = freshRoot();
    const target = await store(rootDir, logged.ops);
    const first = patterned(600 * 1024, 3);
    const committed = await putChunked(target, new Uint8Array(132), first, [65536]);
    assert.equal(committed.key, sha256(first));
    const stored = await readFile(join(rootDir, 'sha256', committed.key.slice(0, 2), committed.key));
    assert.ok(stored.subarray(132).equals(first));
    assert.equal(logged.writes.filter((w) => w.direct).length, 1, 'one refused direct write');
    const opensAfterFirst = logged.directOpens();
    const second = patterned(600 * 1024, 4);
    assert.equal((await putChunked(target, new Uint8Array(132), second, [65536])).key, sha256(second));
    assert.equal(logged.directOpens(), opensAfterFirst, 'no direct descriptor for later objects');
  });

  it('opens no direct descriptor when direct writes are turned off', async () => {
    const logged = loggingOps();
    const target = await store(freshRoot(), logged.ops, false);
    const content = patterned(900 * 1024, 5);
    assert.equal((await putChunked(target, new Uint8Array(132), content, [65536])).key, sha256(content));
    assert.equal(logged.directOpens(), 0);
  });
});

describe('buffer pool', () => {
  it('gives aligned buffers cut from slab memory, and takes them back', () => {
    const pool = new BufferPool(256 * 1024, 2);
    assert.equal(pool.alignsBuffers, true);
    const first = pool.take();
    const second = pool.take();
    assert.equal(first.length, 256 * 1024);
    assert.ok(pool.isAligned(first) && pool.isAligned(second));
    assert.equal(pool.isAligned(first.subarray(4096)), true, 'a whole block in is still aligned');
    assert.equal(pool.isAligned(first.subarray(100)), false);
    assert.equal(pool.isAligned(Buffer.alloc(256 * 1024)), false, 'plain memory is not');
    first.fill(1);
    assert.ok(second.every((b) => b !== 1), 'buffers do not overlap');
    pool.give(first);
    assert.equal(pool.take(), first, 'reused');
  });

  it('gives plain buffers when asked to, or when its buffers are not whole blocks', () => {
    for (const pool of [new BufferPool(256 * 1024, 2, { aligned: false }), new BufferPool(1000, 2)]) {
      assert.equal(pool.alignsBuffers, false);
      assert.equal(pool.isAligned(pool.take()), false);
    }
  });
});

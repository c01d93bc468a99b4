import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeFsOps } from './fs-ops.js';
import { storeLayout } from './layout.js';
import { TempFileReserve } from './temp-file-reserve.js';
import { createFilesystemStore } from './filesystem-store.js';

describe('temporary files kept in reserve', () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kakutei-reserve-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('hands out files created ahead, while they are young; older ones are removed and a new one made', async () => {
    const store = await createFilesystemStore({ rootDir: join(base, 'aged') }); // makes the layout
    await store.close();
    const layout = storeLayout(join(base, 'aged'));
    let now = 0;
    const reserve = new TempFileReserve({ ops: nodeFsOps(), layout, fileMode: 0o600, directWrites: { enabled: false } }, 2, 10_000, () => now);
    reserve.replenish();
    const [first, second] = reserve.reservedPaths();
    assert.ok(first !== undefined && second !== undefined);
    const young = reserve.take();
    assert.equal(young.tempPath, first);
    await young.opening;
    now = 10_001;
    const fresh = reserve.take();
    assert.notEqual(fresh.tempPath, second, 'the aged one is not handed out');
    const { file } = await fresh.opening;
    await nodeFsOps().close(file);
    // The aged file is removed (asynchronously); the ones handed out remain for their objects.
    const names = async () => await readdir(layout.tmpDir);
    const nameOf = (path: string) => path.slice(layout.tmpDir.length + 1);
    for (let tries = 0; tries < 100 && (await names()).includes(nameOf(second)); tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal((await names()).includes(nameOf(second)), false, 'the aged file is removed');
    assert.ok((await names()).includes(nameOf(first)) && (await names()).includes(nameOf(fresh.tempPath)));
    const { file: youngFile } = await young.opening;
    await nodeFsOps().close(youngFile);
    await reserve.close();
  });

  it('a store opened beside a running one (kakutei verify) leaves its tmp/ alone', async () => {
    const rootDir = join(base, 'shared');
    const server = await createFilesystemStore({ rootDir });
    const pending = await server.beginPut(new Uint8Array(4)); // the reserve is made after
    await pending.write(new Uint8Array([1, 2, 3]));
    await pending.sync();
    const before = (await readdir(join(rootDir, 'tmp'))).sort();
    assert.equal(before.length, 3, 'the object being written and two in reserve');
    const verifier = await createFilesystemStore({ rootDir, removeStaleTempFiles: false });
    assert.deepEqual((await readdir(join(rootDir, 'tmp'))).sort(), before);
    await verifier.close();
    const { key } = await pending.commit();
    assert.equal((await server.stat(key))?.sizeBytes, 7);
    await pending.discard();
    await server.close();
  });
});

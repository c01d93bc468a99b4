import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../clock/index.js';
import { silentLogger } from '../log/index.js';
import { Checkpointer, checkpointsPath, parseCheckpoints, signCheckpoint } from './checkpoint.js';
import { loadOrCreateSigningKey, loadVerifyingKey, signingKeyPaths } from './signing-key.js';

describe('audit checkpoints on disk', () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kakutei-checkpoints-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('keeps the next checkpoint on a line of its own after a line torn by a crash', async () => {
    const dataDir = join(base, 'torn');
    const key = await loadOrCreateSigningKey(dataDir);
    const path = checkpointsPath(dataDir);
    await mkdir(join(dataDir, 'audit'), { recursive: true });
    const earlier = signCheckpoint({ seq: 3, hash: 'a'.repeat(64) }, '2026-11-28T00:00:00.000Z', key);
    // A complete checkpoint, then the start of another cut off by a power loss (no newline).
    await writeFile(path, `${JSON.stringify(earlier)}\n{"seq":5,"hash":"bb`);
    const checkpointer = new Checkpointer({ dataDir, head: () => Promise.resolve({ seq: 7, hash: 'c'.repeat(64) }), key, clock: systemClock, logger: silentLogger(), intervalMs: 3_600_000 });
    await checkpointer.start();
    const written = await checkpointer.checkpointNow();
    await checkpointer.stop();
    assert.equal(written?.seq, 7);

    const parsed = parseCheckpoints(await readFile(path, 'utf8'), await loadVerifyingKey(signingKeyPaths(dataDir).publicKey), 'checkpoints');
    assert.deepEqual(
      parsed.valid.map((checkpoint) => checkpoint.seq),
      [3, 7],
    );
    assert.deepEqual(parsed.problems, ['checkpoint checkpoints:2 unreadable'], 'the torn line is reported, and only it');
  });

  it('knows its last checkpoint from the end of a long file: no new line while the head has not moved', async () => {
    const dataDir = join(base, 'long');
    const key = await loadOrCreateSigningKey(dataDir);
    await mkdir(join(dataDir, 'audit'), { recursive: true });
    // Far more than the part read at start, so the window starts in the middle of a line.
    const lines = Array.from({ length: 1500 }, (_, i) => JSON.stringify(signCheckpoint({ seq: i + 1, hash: 'e'.repeat(64) }, '2026-11-28T00:00:00.000Z', key)));
    const text = `${lines.join('\n')}\n`;
    await writeFile(checkpointsPath(dataDir), text);
    const head = { seq: 1500, hash: 'e'.repeat(64) };
    const checkpointer = new Checkpointer({ dataDir, head: () => Promise.resolve(head), key, clock: systemClock, logger: silentLogger(), intervalMs: 3_600_000 });
    await checkpointer.start();
    assert.equal(await checkpointer.checkpointNow(), null, 'the head is the last checkpoint');
    head.seq = 1501;
    assert.equal((await checkpointer.checkpointNow())?.seq, 1501);
    await checkpointer.stop();
    const after = await readFile(checkpointsPath(dataDir), 'utf8');
    assert.ok(after.startsWith(text), 'the earlier checkpoints untouched');
    assert.equal((JSON.parse(after.slice(text.length)) as { seq: number }).seq, 1501, 'one line added');
    assert.ok(text.length > 128 * 1024, `${text.length} bytes`);
  });

  it('appends without an empty line when the file ends as it should', async () => {
    const dataDir = join(base, 'whole');
    const key = await loadOrCreateSigningKey(dataDir);
    let seq = 1;
    const checkpointer = new Checkpointer({ dataDir, head: () => Promise.resolve({ seq, hash: 'd'.repeat(64) }), key, clock: systemClock, logger: silentLogger(), intervalMs: 3_600_000 });
    await checkpointer.start();
    await checkpointer.checkpointNow();
    seq = 2;
    await checkpointer.checkpointNow();
    await checkpointer.stop();
    const lines = (await readFile(checkpointsPath(dataDir), 'utf8')).split('\n');
    assert.equal(lines.length, 3, 'two lines and the final newline');
    assert.deepEqual(
      lines.slice(0, 2).map((line) => (JSON.parse(line) as { seq: number }).seq),
      [1, 2],
    );
  });
});

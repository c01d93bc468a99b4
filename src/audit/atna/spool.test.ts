import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../log/index.js';
import { AtnaSpool } from './spool.js';
import { frameOctetCounted, splitFrames } from './syslog.js';

const frame = (text: string): Buffer => frameOctetCounted(Buffer.from(text, 'utf8'));

describe('the ATNA spool on disk', () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kakutei-spool-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('cuts off a frame torn by a crash when it opens, so that later frames stay whole and are sent', async () => {
    const dir = join(base, 'torn');
    const first = new AtnaSpool(dir, 1024 * 1024, silentLogger());
    await first.open();
    assert.ok(await first.append([frame('<14>1 one'), frame('<14>1 two')], 2));
    const whole = (await stat(join(dir, 'spool.log'))).size;
    // The next append cut short: its length prefix promises more than the file holds.
    await appendFile(join(dir, 'spool.log'), '120 <14>1 thr');

    const again = new AtnaSpool(dir, 1024 * 1024, silentLogger());
    const cursor = await again.open();
    assert.equal(cursor.spooledSeq, 2, 'the torn events were never counted as spooled');
    assert.equal((await stat(join(dir, 'spool.log'))).size, whole, 'the partial frame is gone');
    assert.ok(await again.append([frame('<14>1 three')], 3));
    const { bytes } = await again.unsent(1024 * 1024);
    const { frames, consumed } = splitFrames(bytes);
    assert.equal(consumed, bytes.length, 'every byte belongs to a whole frame');
    assert.deepEqual(
      frames.map((f) => f.toString('utf8')),
      ['9 <14>1 one', '9 <14>1 two', '11 <14>1 three'],
    );
  });

  it('leaves a spool of whole frames as it is', async () => {
    const dir = join(base, 'whole');
    const first = new AtnaSpool(dir, 1024 * 1024, silentLogger());
    await first.open();
    assert.ok(await first.append([frame('<14>1 one')], 1));
    const size = (await stat(join(dir, 'spool.log'))).size;
    await new AtnaSpool(dir, 1024 * 1024, silentLogger()).open();
    assert.equal((await stat(join(dir, 'spool.log'))).size, size);
  });
});

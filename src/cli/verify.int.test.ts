/**
 * `kakutei verify` as an operator runs it: a real process over a data directory filled through the
 * real ingest path (filesystem store + index) and the audit trail with its checkpoint file.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuditTrail, Checkpointer, loadOrCreateSigningKey, progressPath } from '../audit/index.js';
import { sampleEvent, steppingClock } from '../audit/testing/sample-events.js';
import { createInstanceIndex, createSqlAuditStore, openDatabase } from '../index/index.js';
import { dropAuditAppendOnlyTriggers } from '../index/testing/audit-tampering.js';
import { IngestService } from '../ingest/index.js';
import { ctDataset, newUid } from '../ingest/testing/ingest-datasets.js';
import { DEFAULT_TEST_LIMITS, TEST_IMPLEMENTATION, dimseRequest, sendObject } from '../ingest/testing/ingest-harness.js';
import { silentLogger } from '../log/index.js';
import { createFilesystemStore } from '../storage/index.js';

const CLI = fileURLToPath(new URL('./kakutei.cjs', import.meta.url));
const quiet = { info: () => undefined, error: () => undefined };

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function kakutei(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, KAKUTEI_CONFIG: '', KAKUTEI_DATABASE_URL: '' } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe('kakutei verify (process)', () => {
  let dataDir: string;
  const objects: { sha256: string; sopInstanceUid: string; key: string }[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kakutei-verify-'));
    const database = await openDatabase(join(dataDir, 'kakutei.sqlite'), quiet);
    const store = await createFilesystemStore({ rootDir: join(dataDir, 'objects') });
    try {
      const ingest = new IngestService({
        store,
        index: createInstanceIndex(database),
        clock: steppingClock(),
        logger: silentLogger(),
        limits: DEFAULT_TEST_LIMITS,
        implementation: TEST_IMPLEMENTATION,
        fallbackCharsetFor: () => null,
      });
      for (let i = 0; i < 3; i++) {
        const sopInstanceUid = newUid();
        const result = await sendObject(ingest, dimseRequest({ sopInstanceUid }), ctDataset({ sopInstanceUid, studyInstanceUid: newUid(), patientId: `PID-${i}` }));
        assert.ok(result.ok);
        const row = await database.kysely.selectFrom('instances').select(['sha256', 'object_key']).where('sop_instance_uid', '=', sopInstanceUid).executeTakeFirstOrThrow();
        objects.push({ sha256: row.sha256, sopInstanceUid, key: row.object_key });
      }
      const auditStore = createSqlAuditStore(database, { clock: steppingClock() });
      const trail = new AuditTrail({ store: auditStore, clock: steppingClock(), logger: silentLogger() });
      for (let i = 1; i <= 10; i++) await trail.record(sampleEvent(i));
      const checkpointer = new Checkpointer({
        dataDir,
        head: () => auditStore.head(),
        key: await loadOrCreateSigningKey(dataDir),
        clock: steppingClock(),
        logger: silentLogger(),
        intervalMs: 60_000,
      });
      await checkpointer.start();
      await checkpointer.stop();
    } finally {
      await store.close();
      await database.close();
    }
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('exits 0 with nothing on stdout when every object and event holds', async () => {
    const run = await kakutei('verify', '--data', dataDir, '--progress-every', '1');
    assert.equal(run.stdout, '');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /verify: 3 objects checked/);
  });

  it('exits 2 on wrong usage', async () => {
    assert.equal((await kakutei('verify', '--no-such-option')).code, 2);
    assert.equal((await kakutei('verify', '--progress-every', 'x', '--data', dataDir)).code, 2);
  });

  it('exits 1 naming a changed object, a changed event and a cut tail', async () => {
    const target = objects[1]!;
    const path = join(dataDir, 'objects', 'sha256', target.key.slice(0, 2), target.key);
    await chmod(path, 0o644);
    const handle = await open(path, 'r+');
    try {
      const { size } = await handle.stat();
      await handle.write(Buffer.from([0x5a]), 0, 1, size - 1);
    } finally {
      await handle.close();
    }
    const database = await openDatabase(join(dataDir, 'kakutei.sqlite'), quiet);
    try {
      await dropAuditAppendOnlyTriggers(database);
      await database.kysely.updateTable('audit_events').set({ source_address: '198.51.100.1' }).where('seq', '=', 3).execute();
      await database.kysely.deleteFrom('audit_event_objects').where('seq', '>=', 9).execute();
      await database.kysely.deleteFrom('audit_events').where('seq', '>=', 9).execute();
    } finally {
      await database.close();
    }
    const run = await kakutei('verify', '--data', dataDir);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(lines(run.stdout), [
      `object ${target.sha256} (SOP ${target.sopInstanceUid}) changed`,
      'audit: event 3 changed',
      'audit: chain truncated after 8 (checkpoint has 10)',
    ]);
  });

  it('reports a missing object file and a forged line in an outside checkpoint file', async () => {
    const target = objects[2]!;
    await rm(join(dataDir, 'objects', 'sha256', target.key.slice(0, 2), target.key));
    const outside = join(dataDir, 'outside-checkpoints.jsonl');
    await writeFile(outside, `${JSON.stringify({ seq: 5, hash: 'a'.repeat(64), time: '2024-05-01T10:00:00.000Z', keyId: 'ffffffffffffffff', signature: 'AAAA' })}\n`);
    const run = await kakutei('verify', '--data', dataDir, '--checkpoint', outside);
    assert.equal(run.code, 1);
    assert.ok(lines(run.stdout).includes(`object ${target.sha256} (SOP ${target.sopInstanceUid}) missing`), run.stdout);
    assert.ok(lines(run.stdout).includes(`checkpoint ${outside}:1 signed by unknown key ffffffffffffffff`), run.stdout);
  });

  it('--resume continues from the saved progress, keeping the problems found before', async () => {
    const saved = { version: 1, phase: 'audit', objectCursor: null, objectsChecked: 3, audit: null, problems: ['object 00 (SOP 1.2.3) changed'] };
    await writeFile(progressPath(dataDir), JSON.stringify(saved));
    const run = await kakutei('verify', '--data', dataDir, '--resume');
    assert.equal(run.code, 1);
    const found = lines(run.stdout);
    assert.equal(found[0], 'object 00 (SOP 1.2.3) changed');
    assert.ok(!found.some((line) => line.includes('missing')), 'objects were not checked again');
    assert.ok(found.includes('audit: event 3 changed'));
  });
  it('reports a checkpoint file it cannot read, and a public key it cannot read (no checkpoint is then trusted)', async () => {
    const absent = join(dataDir, 'no-such-checkpoints.jsonl');
    const publicKey = join(dataDir, 'keys', 'audit-signing.pub');
    const aside = `${publicKey}.aside`;
    await rename(publicKey, aside);
    try {
      const run = await kakutei('verify', '--data', dataDir, '--checkpoint', absent);
      assert.equal(run.code, 1);
      const found = lines(run.stdout);
      assert.ok(found.includes(`checkpoint ${absent} cannot be read (ENOENT)`), run.stdout);
      assert.ok(found.includes(`checkpoint: the public key ${publicKey} cannot be read; no checkpoint can be verified`), run.stdout);
      assert.ok(!found.some((line) => line.startsWith('audit: chain truncated')), 'no checkpoint held against the chain without its key');
    } finally {
      await rename(aside, publicKey);
    }
  });
});

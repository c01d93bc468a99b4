import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { datasetOfPart10 } from '../testing/storescp.js';
import { createInstanceIndex, openDatabase } from '../index/index.js';
import { createSqlAuditStore } from '../index/index.js';
import type { Database, SqlInstanceIndex } from '../index/index.js';
import { systemClock } from '../clock/index.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, testDialects } from '../index/testing/test-databases.js';
import type { TestDatabase } from '../index/testing/test-databases.js';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN as DEFLATED } from '../dicom/dictionary/index.js';
import { silentLogger } from '../log/index.js';
import { acknowledgedFiles, run, storescu } from '../testing/dcmtk.js';
import { sendFiles } from '../testing/send.js';
import { makeFixtureSet } from '../testing/fixtures/index.js';
import type { FixtureFile } from '../testing/fixtures/index.js';
import { startKakuteiProcess } from '../testing/server-process.js';
import type { KakuteiProcess } from '../testing/server-process.js';
import { hasTool, requireTools } from '../testing/tools.js';

/** The dataset bytes of a Part 10 file: what Kakutei must keep bit for bit. */
function datasetOf(path: string): Buffer {
  return datasetOfPart10(readFileSync(path));
}

export function storedPath(dataDir: string, sha256: string): string {
  return join(dataDir, 'objects', 'sha256', sha256.slice(0, 2), sha256);
}

const tools = ['storescu', 'echoscu', 'dump2dcm', 'dcmdump', 'dciodvfy'];

const dialects = await testDialects();

for (const { dialect, skip } of dialects) describe(`C-ECHO and C-STORE with DCMTK against kakutei serve (${dialect})`, { skip }, () => {
  let work: string;
  let server: KakuteiProcess | null = null;
  let fixtures: FixtureFile[] = [];
  let database: TestDatabase | null = null;
  // The same integration tests for both index backends: the server process is pointed at a fresh
  // database; the test reads the index through its own connection.
  const openDb = async (): Promise<{ db: Database; close: () => Promise<void> }> => {
    if (database !== null) return { db: database.db, close: () => Promise.resolve() };
    const db = await openDatabase(join(work, 'data', 'kakutei.sqlite'), silentLogger());
    return { db, close: () => db.close() };
  };
  const openIndex = async (): Promise<{ index: SqlInstanceIndex; close: () => Promise<void> }> => {
    const { db, close } = await openDb();
    return { index: createInstanceIndex(db), close };
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'kakutei-interop-'));
    if (!tools.every(hasTool)) return;
    if (dialect === 'postgres') database = await createTestDatabase('postgres');
    fixtures = await makeFixtureSet(join(work, 'fixtures'));
    // storescu calls as TESTSCU; like an old device, one fixture sends Shift_JIS undeclared.
    const config = join(work, 'kakutei.yaml');
    writeFileSync(config, 'dicom:\n  fallbackCharacterSets:\n    TESTSCU: shift_jis\n');
    server = await startKakuteiProcess({
      dataDir: join(work, 'data'),
      args: ['--config', config],
      ...(database === null ? {} : { env: { KAKUTEI_DATABASE_URL: database.url } }),
    });
  });
  after(async () => {
    await server?.stop();
    await database?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('answers echoscu', async (t) => {
    if (!requireTools(t, ...tools)) return;
    const result = await run('echoscu', ['-aec', 'KAKUTEI', '127.0.0.1', String(server!.dicomPort)]);
    assert.equal(result.code, 0, result.stderr);
  });

  it('stores every fixture sent by storescu, bit for bit, with the index right', async (t) => {
    if (!requireTools(t, ...tools)) return;
    const sent = await sendFiles(server!.dicomPort, fixtures);
    assert.deepEqual([...sent.acknowledged].sort(), fixtures.map((fixture) => fixture.path).sort(), sent.log);

    const { index, close } = await openIndex();
    try {
      for (const fixture of fixtures) {
        const row = await index.getInstanceBySopInstanceUid(fixture.sopInstanceUid);
        assert.ok(row, `${fixture.name} indexed`);
        assert.equal(row.transferSyntaxUid, fixture.transferSyntaxUid, fixture.name);
        assert.equal(row.lossy, fixture.lossy, `${fixture.name} lossy flag`);
        // Stored bit for bit as sent. Our SCU sends the odd-length deflated fixture with one
        // trailing NUL (scu-dataset-writer.ts), so that one is stored one byte longer.
        const file = datasetOf(fixture.path);
        const dataset = fixture.transferSyntaxUid === DEFLATED && file.length % 2 === 1 ? Buffer.concat([file, Buffer.from([0])]) : file;
        const sha256 = createHash('sha256').update(dataset).digest('hex');
        assert.equal(row.sha256, sha256, `${fixture.name} dataset stored bit for bit`);
        assert.deepEqual(datasetOf(storedPath(join(work, 'data'), sha256)), dataset, fixture.name);
        if (fixture.expected?.patientNameIdeographic !== undefined) {
          assert.equal(row.headerPatient.patientName?.ideographic, fixture.expected.patientNameIdeographic, `${fixture.name} 漢字`);
        }
        if (fixture.expected?.patientNamePhonetic !== undefined) {
          assert.equal(row.headerPatient.patientName?.phonetic, fixture.expected.patientNamePhonetic, `${fixture.name} かな`);
        }
        if (fixture.expected?.patientNameAlphabetic !== undefined) {
          assert.equal(row.headerPatient.patientName?.alphabetic, fixture.expected.patientNameAlphabetic, `${fixture.name} alphabetic`);
        }
      }
    } finally {
      await close();
    }
  });

  it('records every association and every study it stored in the audit trail, and kakutei verify holds', async (t) => {
    if (!requireTools(t, ...tools)) return;
    const { db, close } = await openDb();
    try {
      const events = await createSqlAuditStore(db, { clock: systemClock }).readFrom(1, 100_000);
      const stores = events.filter((event) => event.action === 'store');
      const studies = new Set(fixtures.map((fixture) => fixture.studyInstanceUid));
      for (const study of studies) assert.ok(stores.some((event) => event.objects.some((object) => object.studyInstanceUid === study)), 'a store event for each study');
      const summaries = events.filter((event) => event.action === 'association');
      const stored = summaries.reduce((sum, event) => sum + Number(event.detail['stored'] ?? 0), 0);
      assert.equal(stored, fixtures.length, 'the association events count every stored object once');
      assert.ok(events.some((event) => event.action === 'application-start'));
      for (const event of events) assert.ok(!JSON.stringify(event).includes('山田'), 'no patient name in an audit event');
    } finally {
      await close();
    }
    const verify = spawnSync(process.execPath, [fileURLToPath(new URL('../cli/kakutei.cjs', import.meta.url)), 'verify', '--data', join(work, 'data')], {
      encoding: 'utf8',
      env: { ...process.env, ...(database === null ? {} : { KAKUTEI_DATABASE_URL: database.url }) },
    });
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  });

  it('logs identifiers, never patient names', (t) => {
    if (!requireTools(t, ...tools)) return;
    const names = fixtures.flatMap((fixture) => [fixture.expected?.patientNameIdeographic, fixture.expected?.patientNamePhonetic, fixture.expected?.patientNameAlphabetic]);
    const logText = JSON.stringify(server!.logs);
    assert.ok(server!.logs.some((entry) => entry['event'] === 'c-store'), 'stores were logged');
    for (const name of names) {
      if (name === undefined || name.length < 2) continue;
      for (const part of name.split(/[\^=]/).filter((piece) => piece.length >= 2)) assert.ok(!logText.includes(part), `a log line carries part of a patient name (${part.length} chars)`);
    }
  });

  it('writes files that dciodvfy reads as valid Part 10 objects', async (t) => {
    if (!requireTools(t, ...tools)) return;
    // dicom3tools does not know HTJ2K (PS3.5 2023+) and reads its fragments as native pixel data.
    const images = fixtures.filter((fixture) => (fixture.modality === 'CT' || fixture.modality === 'MR') && !fixture.transferSyntaxUid.startsWith('1.2.840.10008.1.2.4.20'));
    assert.ok(images.length > 0);
    for (const fixture of images) {
      const sha256 = createHash('sha256').update(datasetOf(fixture.path)).digest('hex');
      const check = await run('dciodvfy', ['-filename', storedPath(join(work, 'data'), sha256)]);
      const output = check.stdout + check.stderr;
      assert.doesNotMatch(output, /^Error - /m, `${fixture.name}: ${output}`);
    }
  });

  it('answers a resend of the same bytes with success and no second copy', async (t) => {
    if (!requireTools(t, ...tools)) return;
    const fixture = fixtures[0]!;
    const result = await storescu(server!.dicomPort, [fixture.path, fixture.path], ['-R']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(acknowledgedFiles(result.stdout + result.stderr).length, 2);
    const { index, close } = await openIndex();
    try {
      assert.equal(await index.countInstances(), fixtures.length);
      assert.equal((await index.listConflicts()).length, 0);
    } finally {
      await close();
    }
  });
});

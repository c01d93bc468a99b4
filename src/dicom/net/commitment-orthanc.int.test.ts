/**
 * Storage Commitment requested by a real peer: Orthanc stores an instance to us, sends N-ACTION,
 * releases, and waits for our N-EVENT-REPORT on its own DICOM port (a new association).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArchiveHandlers, QR_SOP_CLASSES, freePort, makeArchive } from './query-test-support.js';
import type { DimseServer } from './server.js';
import { CT_IMAGE_STORAGE, buildPart10, delay, startServer } from './test-support.js';

const ORTHANC = '/usr/sbin/Orthanc';
const absent = spawnSync('test', ['-x', ORTHANC]).status !== 0;
const skip = absent && process.env['CI'] !== 'true' ? 'Orthanc missing' : false;

describe('storage commitment requested by Orthanc', { skip }, () => {
  let handlers: ArchiveHandlers;
  let server: DimseServer;
  let port: number;
  let orthanc: ChildProcess | null = null;
  let dir = '';
  let http = '';

  before(async () => {
    handlers = new ArchiveHandlers(makeArchive());
    handlers.preferSameAssociation = false;
    ({ server, port } = await startServer(handlers, { abstractSyntaxes: new Set(QR_SOP_CLASSES) }));
    dir = await mkdtemp(join(tmpdir(), 'kakutei-orthanc-'));
    const httpPort = await freePort();
    const dicomPort = await freePort();
    http = `http://127.0.0.1:${httpPort}`;
    handlers.commitmentDestination.value = { aeTitle: 'ORTHANC', host: '127.0.0.1', port: dicomPort };
    const config = {
      Name: 'kakutei-test',
      StorageDirectory: join(dir, 'db'),
      IndexDirectory: join(dir, 'db'),
      HttpPort: httpPort,
      DicomPort: dicomPort,
      DicomAet: 'ORTHANC',
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      Plugins: [],
      DicomModalities: { kakutei: ['KAKUTEI', '127.0.0.1', port] },
      DicomScuTimeout: 10,
    };
    await writeFile(join(dir, 'orthanc.json'), JSON.stringify(config));
    orthanc = spawn(ORTHANC, [join(dir, 'orthanc.json')], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      const up = await fetch(`${http}/system`).then((r) => r.ok, () => false);
      if (up) return;
      await delay(50);
    }
    assert.fail('Orthanc did not start');
  });
  after(async () => {
    orthanc?.kill();
    await server.close(1000);
    await rm(dir, { recursive: true, force: true });
  });

  async function commitmentOf(uids: string[]): Promise<{ Status?: string; Success?: unknown[]; Failures?: unknown[] }> {
    const ids: string[] = [];
    for (const uid of uids) {
      const uploaded = await fetch(`${http}/instances`, { method: 'POST', body: buildPart10(CT_IMAGE_STORAGE, uid, 512, { study: `${uid}.1`, series: `${uid}.2` }).file });
      const answer = await uploaded.text();
      assert.ok(uploaded.ok, answer);
      ids.push((JSON.parse(answer) as { ID: string }).ID);
    }
    const store = await fetch(`${http}/modalities/kakutei/store`, {
      method: 'POST',
      body: JSON.stringify({ Resources: ids, StorageCommitment: true, Synchronous: true }),
    });
    const body = (await store.json()) as { StorageCommitmentTransactionUID?: string };
    assert.ok(store.ok, JSON.stringify(body));
    const transaction = body.StorageCommitmentTransactionUID;
    assert.ok(transaction !== undefined, JSON.stringify(body));
    for (let i = 0; i < 200; i++) {
      const report = (await (await fetch(`${http}/storage-commitment/${transaction}`)).json()) as { Status?: string };
      if (report.Status !== 'Pending') return report;
      await delay(50);
    }
    assert.fail('no storage commitment report reached Orthanc');
  }

  it('reports success (event type 1) for objects we hold, on a new association to Orthanc', async () => {
    const uid = makeArchive()[0]!.instance.SOPInstanceUID;
    const report = await commitmentOf([uid]);
    assert.equal(report.Status, 'Success', JSON.stringify(report));
    // Our side records the outcome after releasing the report association.
    for (let i = 0; i < 100 && handlers.reports.length === 0; i++) await delay(20);
    assert.equal(handlers.reports.at(-1)?.via, 'new-association');
    assert.equal(handlers.reports.at(-1)?.status, 0);
    assert.deepEqual(handlers.commits.at(-1)?.references, [{ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: uid }]);
  });

  it('reports failures (event type 2, reason 0x0112) for objects we do not hold', async () => {
    const report = await commitmentOf(['1.2.826.0.1.3680043.10.1467.66.1']);
    assert.equal(report.Status, 'Failure', JSON.stringify(report));
    assert.match(JSON.stringify(report.Failures), /274|0112|NoSuchObjectInstance/i);
  });
});

/**
 * Storage Commitment end to end (issue 4 item 3): Orthanc stores a real object to kakutei serve
 * and asks for commitment; Kakutei confirms it only because it is durably stored and indexed,
 * and sends the report on a new association to Orthanc, a configured peer.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { makeCtSeries } from '../testing/fixtures/index.js';
import { startKakuteiProcess } from '../testing/server-process.js';
import type { KakuteiProcess } from '../testing/server-process.js';
import { DCMTK_ENV, hasTool } from '../testing/tools.js';
import { freePort } from '../testing/net.js';

const ORTHANC = '/usr/sbin/Orthanc';
const present = spawnSync('test', ['-x', ORTHANC]).status === 0 && hasTool('dump2dcm');


describe('storage commitment requested by Orthanc from kakutei serve', { skip: !present && process.env['CI'] !== 'true' ? 'Orthanc or DCMTK missing' : false }, () => {
  let work: string;
  let kakutei: KakuteiProcess | null = null;
  let orthanc: ChildProcess | null = null;
  let http = '';

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'kakutei-commit-'));
    const [orthancHttp, orthancDicom] = [await freePort(), await freePort()];
    http = `http://127.0.0.1:${orthancHttp}`;
    const config = join(work, 'kakutei.yaml');
    writeFileSync(config, ['dicom:', '  peers:', `    - { aeTitle: ORTHANC, host: 127.0.0.1, port: ${orthancDicom}, allow: [echo, store, commit] }`, ''].join('\n'));
    kakutei = await startKakuteiProcess({ dataDir: join(work, 'data'), args: ['--config', config] });
    writeFileSync(
      join(work, 'orthanc.json'),
      JSON.stringify({
        Name: 'kakutei-commitment-test',
        StorageDirectory: join(work, 'orthanc'),
        IndexDirectory: join(work, 'orthanc'),
        HttpPort: orthancHttp,
        DicomPort: orthancDicom,
        DicomAet: 'ORTHANC',
        RemoteAccessAllowed: false,
        AuthenticationEnabled: false,
        Plugins: [],
        DicomModalities: { kakutei: ['KAKUTEI', '127.0.0.1', kakutei.dicomPort] },
        DicomScuTimeout: 10,
      }),
    );
    orthanc = spawn(ORTHANC, [join(work, 'orthanc.json')], { stdio: 'ignore', env: DCMTK_ENV });
    for (let i = 0; i < 200; i++) {
      if (await fetch(`${http}/system`).then((r) => r.ok, () => false)) return;
      await delay(50);
    }
    assert.fail('Orthanc did not start');
  });
  after(async () => {
    orthanc?.kill();
    await kakutei?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('confirms an object it stored durably, with the report on a new association', async () => {
    const [file] = await makeCtSeries(join(work, 'ct'), 1, { rows: 64, cols: 64 });
    const uploaded = await fetch(`${http}/instances`, { method: 'POST', body: readFileSync(file!) });
    const { ID } = (await uploaded.json()) as { ID: string };
    const store = await fetch(`${http}/modalities/kakutei/store`, { method: 'POST', body: JSON.stringify({ Resources: [ID], StorageCommitment: true, Synchronous: true }) });
    const body = (await store.json()) as { StorageCommitmentTransactionUID?: string };
    assert.ok(store.ok && body.StorageCommitmentTransactionUID !== undefined, JSON.stringify(body));
    let status = 'Pending';
    for (let i = 0; i < 200 && status === 'Pending'; i++) {
      status = ((await (await fetch(`${http}/storage-commitment/${body.StorageCommitmentTransactionUID}`)).json()) as { Status: string }).Status;
      if (status === 'Pending') await delay(50);
    }
    assert.equal(status, 'Success');
    assert.ok(kakutei!.logs.some((entry) => entry['event'] === 'storage-commitment' && entry['committed'] === 1));
  });
});

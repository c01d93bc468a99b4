import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configSchema } from '../config/index.js';
import type { ConfigInput } from '../config/index.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../config/index.js';
import { ScuAssociation } from '../dicom/net/index.js';
import { silentLogger } from '../log/index.js';
import { startServer } from './start-server.js';
import type { RunningServer } from './start-server.js';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const VERIFICATION = '1.2.840.10008.1.1';
const PRIVATE_CLASS = '1.3.6.1.4.1.99999.1.1';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

async function withServer(input: ConfigInput, body: (server: RunningServer) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kakutei-accept-'));
  const config = configSchema.parse({ ...input, dataDir, http: { port: 0, host: '127.0.0.1' }, dicom: { port: 0, host: '127.0.0.1', ...input.dicom } });
  const started = await startServer(config, silentLogger());
  assert.ok(started.ok);
  try {
    await body(started.value);
  } finally {
    await started.value.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function associate(port: number, callingAeTitle: string, calledAeTitle: string, abstractSyntaxUids: string[]) {
  return ScuAssociation.connect({
    host: '127.0.0.1',
    port,
    callingAeTitle,
    calledAeTitle,
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    presentationContexts: abstractSyntaxUids.map((abstractSyntaxUid) => ({ abstractSyntaxUid, transferSyntaxUids: [EXPLICIT_LE] })),
  });
}

describe('who may associate, and for what', () => {
  it('lets any calling AE echo and store by default, and answers GET /healthz', async () => {
    await withServer({}, async (server) => {
      const association = await associate(server.dicomPort, 'ANY_MODALITY', 'KAKUTEI', [VERIFICATION, CT_IMAGE_STORAGE]);
      assert.ok(association.ok);
      const echo = await association.value.echo();
      assert.ok(echo.ok);
      assert.equal(echo.value.status, 0);
      await association.value.release();
      const health = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
    });
  });

  it('rejects a calling AE outside the allow-list (PS3.8 reason 3) and accepts one on it', async () => {
    await withServer({ dicom: { allowedCallingAeTitles: ['CT01'] } }, async (server) => {
      const refused = await associate(server.dicomPort, 'STRANGER', 'KAKUTEI', [VERIFICATION]);
      assert.ok(!refused.ok);
      assert.equal(refused.error.kind, 'rejected');
      assert.equal(refused.error.rejection?.reason, 3);
      const allowed = await associate(server.dicomPort, 'CT01', 'KAKUTEI', [VERIFICATION]);
      assert.ok(allowed.ok);
      await allowed.value.release();
    });
  });

  it('rejects a wrong called AE title (reason 7) unless configured to accept any', async () => {
    await withServer({}, async (server) => {
      const refused = await associate(server.dicomPort, 'CT01', 'SOMEONE_ELSE', [VERIFICATION]);
      assert.ok(!refused.ok);
      assert.equal(refused.error.rejection?.reason, 7);
    });
    await withServer({ dicom: { checkCalledAeTitle: false } }, async (server) => {
      const accepted = await associate(server.dicomPort, 'CT01', 'SOMEONE_ELSE', [VERIFICATION]);
      assert.ok(accepted.ok);
      await accepted.value.release();
    });
  });

  it('answers A700 below the free-space watermark, stores nothing and keeps the association', async () => {
    await withServer({ storage: { freeSpaceWatermarkBytes: Number.MAX_SAFE_INTEGER } }, async (server) => {
      const association = await associate(server.dicomPort, 'CT01', 'KAKUTEI', [VERIFICATION, CT_IMAGE_STORAGE]);
      assert.ok(association.ok);
      const stored = await association.value.store({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3.4.5', transferSyntaxUid: EXPLICIT_LE, dataset: new Uint8Array(64) });
      assert.ok(stored.ok);
      assert.equal(stored.value.status, 0xa700);
      const echo = await association.value.echo();
      assert.ok(echo.ok, 'the association is still usable');
      await association.value.release();
    });
  });

  it('accepts a private SOP class only when configured', async () => {
    await withServer({}, async (server) => {
      const association = await associate(server.dicomPort, 'CT01', 'KAKUTEI', [VERIFICATION, PRIVATE_CLASS]);
      // The association stands on Verification; the private context alone is refused.
      assert.ok(association.ok);
      const stored = await association.value.store({ sopClassUid: PRIVATE_CLASS, sopInstanceUid: '1.2.3.4', transferSyntaxUid: EXPLICIT_LE, dataset: new Uint8Array(0) });
      assert.ok(!stored.ok);
      assert.equal(stored.error.kind, 'no-presentation-context');
      await association.value.release();
    });
    await withServer({ dicom: { privateSopClasses: [PRIVATE_CLASS] } }, async (server) => {
      const association = await associate(server.dicomPort, 'CT01', 'KAKUTEI', [PRIVATE_CLASS]);
      assert.ok(association.ok);
      await association.value.release();
    });
  });
});

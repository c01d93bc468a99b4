import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../config/index.js';
import { ScuAssociation } from '../dicom/net/index.js';
import { readFileMeta } from '../dicom/part10/index.js';
import { createInstanceIndex, openDatabase } from '../index/index.js';
import { silentLogger } from '../log/index.js';
import { acknowledgedFiles, storescu } from '../testing/dcmtk.js';
import { makeCtSeries } from '../testing/fixtures/index.js';
import { startKakuteiProcess } from '../testing/server-process.js';
import { requireTools } from '../testing/tools.js';

/** Writes bytes to the DICOM port and waits until the server closes the connection. */
function sendRaw(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept a hostile connection open'));
    }, 10_000);
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(received));
    });
    socket.on('connect', () => socket.write(bytes));
  });
}

/** A-ASSOCIATE-RQ header whose declared length (4 GiB − 1) is a claim, not a budget. */
const lyingAssociateRq = Buffer.from([0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01]);
const unknownPduType = Buffer.from([0x4f, 0x00, 0x00, 0x00, 0x00, 0x04, 1, 2, 3, 4]);
const pDataBeforeAssociation = Buffer.from([0x04, 0x00, 0x00, 0x00, 0x00, 0x06, 0, 0, 0, 2, 1, 3]);
const httpRequest = Buffer.from('GET / HTTP/1.1\r\nHost: kakutei\r\n\r\n', 'latin1');
const tlsClientHello = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x2e, 0x01, 0x00, 0x00, 0x2a, 0x03, 0x03, ...new Array<number>(40).fill(0)]);

async function storeWithOurScu(port: number, bytes: Buffer, sopClassUid: string, sopInstanceUid: string, transferSyntaxUid: string): Promise<number> {
  const connected = await ScuAssociation.connect({
    host: '127.0.0.1',
    port,
    callingAeTitle: 'HOSTILE',
    calledAeTitle: 'KAKUTEI',
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    presentationContexts: [{ abstractSyntaxUid: sopClassUid, transferSyntaxUids: [transferSyntaxUid] }],
  });
  assert.ok(connected.ok, 'association accepted');
  const stored = await connected.value.store({ sopClassUid, sopInstanceUid, transferSyntaxUid, dataset: bytes });
  await connected.value.release();
  assert.ok(stored.ok, 'a status came back');
  return stored.value.status;
}

describe('hostile input while another association keeps storing', () => {
  it('refuses malformed PDUs and broken datasets, logs security events, and stores the good sender', async (t) => {
    if (!requireTools(t, 'storescu', 'dump2dcm')) return;
    const work = mkdtempSync(join(tmpdir(), 'kakutei-hostile-'));
    try {
      const good = await makeCtSeries(join(work, 'good'), 60, { rows: 128, cols: 128 });
      const [victim] = await makeCtSeries(join(work, 'bad'), 1, { rows: 128, cols: 128 });
      const file = readFileSync(victim!);
      const meta = readFileMeta(file);
      assert.ok(meta.ok);
      const { sopClassUid, sopInstanceUid, transferSyntaxUid, datasetOffset } = meta.value;
      const dataset = file.subarray(datasetOffset);

      const dataDir = join(work, 'data');
      const server = await startKakuteiProcess({ dataDir });
      try {
        const goodSender = storescu(server.dicomPort, good, ['-xe']);
        const replies = await Promise.all([
          sendRaw(server.dicomPort, lyingAssociateRq),
          sendRaw(server.dicomPort, unknownPduType),
          sendRaw(server.dicomPort, pDataBeforeAssociation),
          sendRaw(server.dicomPort, httpRequest),
          sendRaw(server.dicomPort, tlsClientHello),
        ]);
        // Nothing a hostile peer sends earns an A-ASSOCIATE-AC (type 0x02).
        for (const reply of replies) assert.notEqual(reply[0], 0x02);

        const headerCut = await storeWithOurScu(server.dicomPort, dataset.subarray(0, 301), sopClassUid, sopInstanceUid, transferSyntaxUid);
        const pixelCut = await storeWithOurScu(server.dicomPort, dataset.subarray(0, dataset.length - 1000), sopClassUid, sopInstanceUid, transferSyntaxUid);
        const otherUid = await storeWithOurScu(server.dicomPort, dataset, sopClassUid, `${sopInstanceUid}.9`, transferSyntaxUid);
        for (const status of [headerCut, pixelCut, otherUid]) {
          assert.ok(status >= 0xa000, `refused with a failure status (got 0x${status.toString(16)})`);
        }

        const result = await goodSender;
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.equal(acknowledgedFiles(result.stdout + result.stderr).length, good.length);
        const securityKinds = server.logs.filter((entry) => entry['event'] === 'security').map((entry) => entry['kind'] ?? entry['code']);
        for (const kind of ['pdu-too-large', 'unknown-pdu-type', 'unexpected-pdu', 'http-on-dicom-port', 'tls-on-dicom-port']) {
          assert.ok(securityKinds.includes(kind), `security event ${kind} logged (got ${securityKinds.join(', ')})`);
        }
        assert.ok(securityKinds.filter((kind) => kind === 'DATASET_TRUNCATED' || kind === 'DATASET_UNPARSEABLE').length >= 2, `truncated datasets logged (got ${securityKinds.join(', ')})`);
        assert.ok(securityKinds.includes('SOP_INSTANCE_MISMATCH'));
      } finally {
        await server.stop();
      }
      const database = await openDatabase(join(dataDir, 'kakutei.sqlite'), silentLogger());
      try {
        const index = createInstanceIndex(database);
        assert.equal(await index.countInstances(), good.length, 'only the good objects are indexed');
        assert.equal(await index.getInstanceBySopInstanceUid(sopInstanceUid), null);
      } finally {
        await database.close();
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

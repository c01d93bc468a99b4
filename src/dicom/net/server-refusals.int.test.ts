import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeAssociateAc } from './associate-codec.js';
import { encodeCommand } from './dimse-command.js';
import { encodeEchoRq, encodeStoreRq } from './dimse-messages.js';
import { isDecodeError } from './item-reader.js';
import { decodeAbort, decodeAssociateRj, encodePData, encodeReleaseRq } from './pdu-codec.js';
import { PduReader } from './pdu-reader.js';
import { PduType, type RawPdu } from './pdu-types.js';
import type { DimseServer } from './server.js';
import { CT_IMAGE_STORAGE, EXPLICIT_LE, RawClient, RecordingHandlers, associateRq, startServer } from './test-support.js';
import { decodeCommand } from './dimse-command.js';

function pdusOf(bytes: Buffer): RawPdu[] {
  const r = new PduReader(1 << 20).push(bytes);
  assert.equal(r.error, null);
  return r.pdus;
}

describe('DIMSE server refusals (raw sockets)', () => {
  let handlers: RecordingHandlers;
  let server: DimseServer;
  let port: number;

  before(async () => {
    handlers = new RecordingHandlers();
    ({ server, port } = await startServer(handlers, { artimMs: 300, idleMs: 400 }));
  });
  after(async () => {
    await server.close(1000);
  });

  async function associated(): Promise<RawClient> {
    const client = await RawClient.open(port);
    client.write(associateRq());
    const bytes = await client.untilBytes(6);
    assert.equal(bytes[0], PduType.AssociateAc);
    await client.untilBytes(6 + bytes.readUInt32BE(2));
    client.received.length = 0;
    return client;
  }

  async function expectAbort(client: RawClient): Promise<void> {
    await client.untilClosed();
    const pdus = pdusOf(client.bytes);
    const last = pdus.at(-1);
    assert.equal(last?.type, PduType.Abort, 'an A-ABORT before the close');
    assert.ok(!isDecodeError(decodeAbort(last.body)));
  }

  async function expectReject(client: RawClient, reason: { result: number; source: number; reason: number }): Promise<void> {
    await client.untilClosed();
    const pdus = pdusOf(client.bytes);
    assert.equal(pdus[0]?.type, PduType.AssociateRj);
    assert.deepEqual(decodeAssociateRj(pdus[0].body), reason);
  }

  it('accepts a plain association and negotiates contexts', async () => {
    const client = await RawClient.open(port);
    client.write(associateRq());
    await client.untilBytes(6);
    const bytes = await client.untilBytes(6 + client.bytes.readUInt32BE(2));
    const ac = decodeAssociateAc(bytes.subarray(6));
    assert.ok(!isDecodeError(ac));
    assert.deepEqual(ac.presentationContexts.map((c) => [c.id, c.result]), [[1, 0], [3, 0]]);
    assert.equal(ac.userInformation.maxPduLength, 256 * 1024);
    client.write(encodeReleaseRq());
    await client.untilClosed();
    assert.equal(pdusOf(client.bytes).at(-1)?.type, PduType.ReleaseRp);
  });

  it('closes on HTTP bytes with a security event', async () => {
    const client = await RawClient.open(port);
    client.write(Buffer.from('GET / HTTP/1.1\r\nHost: kakutei\r\n\r\n'));
    await client.untilClosed();
    assert.equal(client.bytes.length, 0);
    assert.ok(handlers.security.some((e) => e.kind === 'http-on-dicom-port'));
  });

  it('closes on a TLS ClientHello with a security event', async () => {
    const client = await RawClient.open(port);
    client.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03]));
    await client.untilClosed();
    assert.equal(client.bytes.length, 0);
    assert.ok(handlers.security.some((e) => e.kind === 'tls-on-dicom-port'));
  });

  it('aborts an unknown PDU type', async () => {
    const client = await RawClient.open(port);
    client.write(Buffer.from([0x0a, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
    await expectAbort(client);
    assert.ok(handlers.security.some((e) => e.kind === 'unknown-pdu-type'));
  });

  it('aborts a PDU declaring more than our maximum', async () => {
    const client = await associated();
    client.write(Buffer.from([PduType.PData, 0, 0x7f, 0xff, 0xff, 0xff]));
    await expectAbort(client);
    assert.ok(handlers.security.some((e) => e.kind === 'pdu-too-large'));
  });

  it('aborts a zero-length P-DATA-TF', async () => {
    const client = await associated();
    client.write(Buffer.from([PduType.PData, 0, 0, 0, 0, 0]));
    await expectAbort(client);
  });

  it('aborts P-DATA before the association', async () => {
    const client = await RawClient.open(port);
    client.write(encodePData(1, true, encodeEchoRq(1), 1000));
    await expectAbort(client);
    assert.ok(handlers.security.some((e) => e.kind === 'unexpected-pdu'));
  });

  it('closes a connection that trickles its A-ASSOCIATE-RQ byte by byte when ARTIM expires', async () => {
    const client = await RawClient.open(port);
    const rq = associateRq();
    for (let i = 0; i < rq.length && !client.closed; i++) {
      client.write(rq.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 25));
    }
    await client.untilClosed();
    assert.equal(client.bytes.length, 0);
  });

  it('closes a silent connection when ARTIM expires', async () => {
    const client = await RawClient.open(port);
    await client.untilClosed();
    assert.ok(handlers.security.some((e) => e.kind === 'artim-timeout'));
  });

  it('aborts an established association that stays silent', async () => {
    const client = await associated();
    await expectAbort(client);
    assert.ok(handlers.security.some((e) => e.kind === 'idle-timeout'));
  });

  it('rejects invalid calling AE titles (reason 3) and a called AE that is not ours (reason 7)', async () => {
    for (const callingAeTitle of ['BAD\\AE', 'CTRL\u0007', '']) {
      const client = await RawClient.open(port);
      client.write(associateRq({ callingAeTitle }));
      await expectReject(client, { result: 1, source: 1, reason: 3 });
    }
    const client = await RawClient.open(port);
    client.write(associateRq({ calledAeTitle: 'SOMEONE' }));
    await expectReject(client, { result: 1, source: 1, reason: 7 });
  });

  it('rejects a wrong application context and protocol version', async () => {
    let client = await RawClient.open(port);
    client.write(associateRq({ applicationContextName: '1.2.3' }));
    await expectReject(client, { result: 1, source: 1, reason: 2 });
    client = await RawClient.open(port);
    client.write(associateRq({ protocolVersion: 2 }));
    await expectReject(client, { result: 1, source: 2, reason: 2 });
  });

  it('rejects 129 presentation contexts without crashing', async () => {
    const contexts = Array.from({ length: 129 }, (_, i) => ({ id: (2 * i + 1) & 0xff, abstractSyntaxUid: CT_IMAGE_STORAGE, transferSyntaxUids: [EXPLICIT_LE] }));
    const client = await RawClient.open(port);
    client.write(associateRq({}, contexts));
    await expectReject(client, { result: 1, source: 1, reason: 1 });
  });

  it('aborts an A-ASSOCIATE-RQ whose sub-item is longer than its parent', async () => {
    const pdu = Buffer.from(associateRq());
    pdu.writeUInt16BE(0x4000, 6 + 68 + 25 + 4 + 4 + 2);
    const client = await RawClient.open(port);
    client.write(pdu);
    await expectAbort(client);
    assert.ok(handlers.security.some((e) => e.kind === 'malformed-pdu'));
  });

  it('rejects as the acceptAssociation hook decides', async () => {
    handlers.decide = (r) => (r.callingAeTitle === 'TESTSCU' ? { accept: false, result: 1, source: 1, reason: 3 } : { accept: true });
    try {
      const client = await RawClient.open(port);
      client.write(associateRq());
      await expectReject(client, { result: 1, source: 1, reason: 3 });
    } finally {
      handlers.decide = () => ({ accept: true });
    }
  });

  it('aborts a PDV on a context that was not accepted', async () => {
    const client = await associated();
    client.write(encodePData(7, true, encodeEchoRq(1), 1000));
    await expectAbort(client);
    assert.ok(handlers.security.some((e) => e.kind === 'protocol-violation'));
  });

  it('aborts a command that never ends', async () => {
    const client = await associated();
    const fragment = encodePData(1, true, Buffer.alloc(8000), 9000, false);
    for (let i = 0; i < 10 && !client.closed; i++) client.write(fragment);
    await expectAbort(client);
  });

  it('aborts a flood of empty PDVs, across PDUs', async () => {
    const client = await associated();
    const emptyPdv = Buffer.from([0, 0, 0, 2, 1, 1]);
    const pdu = Buffer.concat([Buffer.from([PduType.PData, 0, 0, 0, 0, 6 * 10]), ...Array<Buffer>(10).fill(emptyPdv)]);
    for (let i = 0; i < 100 && !client.closed; i++) client.write(pdu);
    await expectAbort(client);
  });

  it('answers an unknown DIMSE request with 0x0211 and keeps the association', async () => {
    const client = await associated();
    client.write(encodePData(1, true, encodeCommand({ commandField: 0x0130, affectedSopClassUid: '1.2.840.10008.1.1', messageId: 9, hasDataset: false }), 1000));
    await client.untilBytes(12);
    const bytes = await client.untilBytes(6 + client.bytes.readUInt32BE(2));
    const pdvCommand = decodeCommand(bytes.subarray(12));
    assert.ok(!isDecodeError(pdvCommand));
    assert.equal(pdvCommand.commandField, 0x8130);
    assert.equal(pdvCommand.status, 0x0211);
    assert.equal(pdvCommand.messageIdBeingRespondedTo, 9);
    client.received.length = 0;
    client.write(encodePData(1, true, encodeEchoRq(10), 1000));
    const echo = await client.untilBytes(12 + 20);
    assert.equal(echo[0], PduType.PData);
    client.write(encodeReleaseRq());
    await client.untilClosed();
  });

  it('aborts a dataset fragment without a command and a command while a dataset is open', async () => {
    let client = await associated();
    client.write(encodePData(3, false, Buffer.alloc(10), 1000));
    await expectAbort(client);
    client = await associated();
    client.write(encodePData(3, true, encodeStoreRq({ messageId: 1, sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3' }), 1000));
    client.write(encodePData(3, false, Buffer.alloc(10), 1000, false));
    client.write(encodePData(1, true, encodeEchoRq(2), 1000));
    await expectAbort(client);
    await handlers.nextAbort();
    assert.equal(handlers.stored.length, 0);
  });

  it('refuses a C-STORE whose SOP class differs from its context (0x0122) after reading its dataset', async () => {
    const client = await associated();
    client.write(encodePData(1, true, encodeStoreRq({ messageId: 5, sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3' }), 1000));
    client.write(encodePData(1, false, Buffer.alloc(3000), 1000));
    await client.untilBytes(12);
    const bytes = await client.untilBytes(6 + client.bytes.readUInt32BE(2));
    const rsp = decodeCommand(bytes.subarray(12));
    assert.ok(!isDecodeError(rsp));
    assert.equal(rsp.commandField, 0x8001);
    assert.equal(rsp.status, 0x0122);
    assert.equal(rsp.messageIdBeingRespondedTo, 5);
    client.write(encodeReleaseRq());
    await client.untilClosed();
  });

  it('leaves no connection behind', async () => {
    for (let i = 0; i < 50 && server.connections() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.connections(), 0);
    assert.equal(server.associations(), 0);
  });
});

describe('connections awaiting association', () => {
  it('closes connections beyond maxPendingConnections at once', async () => {
    const handlers = new RecordingHandlers();
    const { server, port } = await startServer(handlers, { maxPendingConnections: 2, artimMs: 5000 });
    try {
      const a = await RawClient.open(port);
      const b = await RawClient.open(port);
      const c = await RawClient.open(port);
      await c.untilClosed();
      assert.ok(handlers.security.some((e) => e.kind === 'connection-limit'));
      assert.equal(a.closed || b.closed, false);
      a.destroy();
      b.destroy();
    } finally {
      await server.close(1000);
    }
  });
});

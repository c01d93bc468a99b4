import assert from 'node:assert/strict';
import { type Server, type Socket, createServer } from 'node:net';
import { describe, it } from 'node:test';
import { encodeAssociateAc } from './associate-codec.js';
import { encodeAssociateRj } from './pdu-codec.js';
import { DICOM_APPLICATION_CONTEXT, EMPTY_USER_INFORMATION } from './pdu-types.js';
import { ScuAssociation } from './scu.js';
import { CT_IMAGE_STORAGE, EXPLICIT_LE } from './test-support.js';

/** A scripted peer: on connection, after the first bytes arrive, it answers with `reply`. */
async function hostile(reply: (socket: Socket) => void): Promise<{ server: Server; port: number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => reply(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  const stop = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => server.close(r));
  };
  return { server, port: address.port, stop };
}

function connect(port: number, responseTimeoutMs = 2000): ReturnType<typeof ScuAssociation.connect> {
  return ScuAssociation.connect({
    host: '127.0.0.1',
    port,
    callingAeTitle: 'KAKUTEI',
    calledAeTitle: 'PEER',
    implementationClassUid: '1.2.3',
    implementationVersionName: 'TEST',
    presentationContexts: [{ abstractSyntaxUid: CT_IMAGE_STORAGE, transferSyntaxUids: [EXPLICIT_LE] }],
    associateTimeoutMs: 1000,
    responseTimeoutMs,
  });
}

function accept(contextId: number, transferSyntaxUid: string, maxPduLength = 16384): Buffer {
  return encodeAssociateAc({
    protocolVersion: 1,
    calledAeTitle: 'PEER',
    callingAeTitle: 'KAKUTEI',
    applicationContextName: DICOM_APPLICATION_CONTEXT,
    presentationContexts: [{ id: contextId, result: 0, transferSyntaxUid }],
    userInformation: { ...EMPTY_USER_INFORMATION, maxPduLength },
  });
}

describe('our SCU against a hostile or broken peer', () => {
  const cases: [string, (s: Socket) => void, string][] = [
    ['an HTTP answer', (s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'), 'protocol'],
    ['a huge declared PDU', (s) => s.write(Buffer.from([2, 0, 0x7f, 0xff, 0xff, 0xff])), 'protocol'],
    ['an acceptance of a context we did not propose', (s) => s.write(accept(5, EXPLICIT_LE)), 'protocol'],
    ['an acceptance with a transfer syntax we did not propose', (s) => s.write(accept(1, '1.2.840.10008.1.2.4.50')), 'protocol'],
    ['a tiny maximum length', (s) => s.write(accept(1, EXPLICIT_LE, 16)), 'protocol'],
    ['a rejection', (s) => s.write(encodeAssociateRj({ result: 1, source: 1, reason: 7 })), 'rejected'],
    ['silence', () => undefined, 'timeout'],
    ['a close', (s) => s.destroy(), 'closed'],
  ];
  for (const [name, reply, kind] of cases) {
    it(`fails cleanly on ${name}`, async () => {
      const { stop, port } = await hostile(reply);
      try {
        const r = await connect(port);
        assert.ok(!r.ok);
        assert.equal(r.error.kind, kind, r.error.detail);
      } finally {
        await stop();
      }
    });
  }

  it('times out a store that is never answered, and aborts', async () => {
    let stage = 0;
    const { stop, port } = await hostile((s) => {
      s.write(accept(1, EXPLICIT_LE));
      s.on('data', () => {
        stage++;
      });
    });
    try {
      const r = await connect(port, 300);
      assert.ok(r.ok);
      const stored = await r.value.store({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT_LE, dataset: Buffer.alloc(50_000) });
      assert.ok(!stored.ok && stored.error.kind === 'timeout');
      assert.ok(stage > 0);
      const again = await r.value.echo();
      assert.ok(!again.ok);
    } finally {
      await stop();
    }
  });
});

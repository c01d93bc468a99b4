import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { encodeStoreRq } from './dimse-messages.js';
import type { CStoreRequestInfo, DimseServiceHandlers } from './handlers.js';
import { encodeAbort, encodePData } from './pdu-codec.js';
import { PduType } from './pdu-types.js';
import { type ScuOptions, ScuAssociation } from './scu.js';
import type { DimseServer } from './server.js';
import { CT_IMAGE_STORAGE, EXPLICIT_LE, HTJ2K_LOSSLESS, IMPLICIT_LE, RawClient, RecordingHandlers, associateRq, delay, startServer } from './test-support.js';

const VERIFICATION = '1.2.840.10008.1.1';

function scuOptions(port: number, extra: Partial<ScuOptions> = {}): ScuOptions {
  return {
    host: '127.0.0.1',
    port,
    callingAeTitle: 'TESTSCU',
    calledAeTitle: 'KAKUTEI',
    implementationClassUid: '1.2.826.0.1.3680043.10.1467.2',
    implementationVersionName: 'KAKUTEI_SCU',
    presentationContexts: [
      { abstractSyntaxUid: VERIFICATION, transferSyntaxUids: [IMPLICIT_LE] },
      { abstractSyntaxUid: CT_IMAGE_STORAGE, transferSyntaxUids: [HTJ2K_LOSSLESS] },
      { abstractSyntaxUid: CT_IMAGE_STORAGE, transferSyntaxUids: [EXPLICIT_LE] },
    ],
    ...extra,
  };
}

async function open(port: number, extra: Partial<ScuOptions> = {}): Promise<ScuAssociation> {
  const r = await ScuAssociation.connect(scuOptions(port, extra));
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.error));
  return r.value;
}

function patterned(bytes: number, seed = 1): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i + 4 <= bytes; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return b;
}

describe('our SCU against our SCP', () => {
  let handlers: RecordingHandlers;
  let server: DimseServer;
  let port: number;

  before(async () => {
    handlers = new RecordingHandlers();
    ({ server, port } = await startServer(handlers));
  });
  after(async () => {
    await server.close(1000);
  });

  it('echoes and stores HTJ2K and explicit LE objects byte for byte, from a Buffer and a stream', async () => {
    const scu = await open(port);
    assert.deepEqual(
      scu.acceptedContexts.map((c) => c.transferSyntaxUid),
      [IMPLICIT_LE, HTJ2K_LOSSLESS, EXPLICIT_LE],
    );
    assert.deepEqual(await scu.echo(), { ok: true, value: { status: 0 } });
    const big = patterned(700_000 + 2);
    const r1 = await scu.store({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3.1', transferSyntaxUid: HTJ2K_LOSSLESS, dataset: big });
    assert.deepEqual(r1, { ok: true, value: { status: 0 } });
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < big.length; at += 10_007) {
        await Promise.resolve();
        yield big.subarray(at, at + 10_007);
      }
    }
    const r2 = await scu.store({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3.2', transferSyntaxUid: EXPLICIT_LE, dataset: chunks(), priority: 1 });
    assert.deepEqual(r2, { ok: true, value: { status: 0 } });
    const [a, b] = handlers.stored.slice(-2);
    assert.deepEqual(a!.request, { messageId: 2, sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3.1', transferSyntaxUid: HTJ2K_LOSSLESS, priority: 0, moveOriginatorAeTitle: null, moveOriginatorMessageId: null } satisfies CStoreRequestInfo);
    assert.ok(a!.bytes.equals(big));
    assert.equal(b!.request.transferSyntaxUid, EXPLICIT_LE);
    assert.equal(b!.request.priority, 1);
    assert.ok(b!.bytes.equals(big));
    assert.deepEqual(await scu.release(), { ok: true, value: undefined });
  });

  it('refuses to store on a context that was not accepted', async () => {
    const scu = await open(port);
    const r = await scu.store({ sopClassUid: '1.2.840.10008.5.1.4.1.1.4', sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT_LE, dataset: Buffer.alloc(4) });
    assert.equal(r.ok ? 'ok' : r.error.kind, 'no-presentation-context');
    await scu.release();
  });

  it('answers a handler failure with its status and keeps the association', async () => {
    const scu = await open(port);
    const failures: Error[] = [
      Object.assign(new Error('disk'), { code: 'ENOSPC' }),
      Object.assign(new Error('full'), { code: 'STORAGE_FULL' }),
      Object.assign(new Error('bad'), { dimseStatus: 0xc000 }),
    ];
    const expected = [{ status: 0xa700 }, { status: 0xa700, errorComment: 'STORAGE_FULL' }, { status: 0xc000 }];
    for (let i = 0; i < failures.length; i++) {
      handlers.onWrite = () => Promise.reject(failures[i]!);
      const before = handlers.aborted.length;
      const r = await scu.store({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: `1.2.4.${i}`, transferSyntaxUid: EXPLICIT_LE, dataset: patterned(300_000) });
      assert.deepEqual(r, { ok: true, value: expected[i] });
      assert.equal(handlers.aborted.length, before + 1, 'the sink is told to discard');
    }
    handlers.onWrite = () => Promise.resolve();
    assert.deepEqual(await scu.store({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.4.9', transferSyntaxUid: EXPLICIT_LE, dataset: patterned(1000) }), { ok: true, value: { status: 0 } });
    await scu.release();
  });

  it('reads and drops the dataset of a refused store, then answers the refusal', async () => {
    const scu = await open(port);
    handlers.refuseWith = { status: 0xa900, errorComment: 'SOP_CLASS_MISMATCH' };
    try {
      const r = await scu.store({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.5', transferSyntaxUid: EXPLICIT_LE, dataset: patterned(500_000) });
      assert.deepEqual(r, { ok: true, value: { status: 0xa900, errorComment: 'SOP_CLASS_MISMATCH' } });
    } finally {
      handlers.refuseWith = null;
    }
    assert.deepEqual(await scu.echo(), { ok: true, value: { status: 0 } });
    await scu.release();
  });

  for (const how of ['A-ABORT', 'socket close'] as const) {
    it(`calls abort and sends no success when the peer goes mid-dataset (${how})`, async () => {
      const storedBefore = handlers.stored.length;
      const abortedBefore = handlers.aborted.length;
      const client = await RawClient.open(port);
      client.write(associateRq());
      await client.untilBytes(6);
      await client.untilBytes(6 + client.bytes.readUInt32BE(2));
      client.received.length = 0;
      client.write(encodePData(3, true, encodeStoreRq({ messageId: 1, sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.6' }), 16000));
      client.write(encodePData(3, false, patterned(40_000), 16000, false));
      while (handlers.aborted.length === abortedBefore && handlers.stored.length === storedBefore) {
        // Wait until the server has seen some of the dataset, then leave.
        await delay(10);
        if (client.socket.bytesWritten > 40_000) break;
      }
      if (how === 'A-ABORT') client.write(encodeAbort({ source: 0, reason: 0 }));
      else client.destroy();
      await handlers.nextAbort();
      await client.untilClosed();
      assert.equal(handlers.stored.length, storedBefore);
      assert.equal(handlers.aborted.length, abortedBefore + 1);
      assert.ok(!client.bytes.includes(Buffer.from([PduType.PData])), 'no response was sent');
    });
  }

  it('survives 500 open/echo/release cycles without leaking connections or handles', async () => {
    const resourcesBefore = process.getActiveResourcesInfo().length;
    for (let i = 0; i < 500; i++) {
      const scu = await open(port);
      const echo = await scu.echo();
      assert.ok(echo.ok && echo.value.status === 0);
      assert.ok((await scu.release()).ok);
    }
    for (let i = 0; i < 100 && server.connections() > 0; i++) await delay(10);
    assert.equal(server.connections(), 0);
    assert.equal(server.associations(), 0);
    assert.ok(process.getActiveResourcesInfo().length <= resourcesBefore + 2, `${process.getActiveResourcesInfo().length} vs ${resourcesBefore}`);
  });
});

describe('association limits', () => {
  it('rejects the 33rd association as transient/local limit exceeded while the other 32 work', async () => {
    const handlers = new RecordingHandlers();
    const { server, port } = await startServer(handlers, { maxAssociations: 32, maxAssociationsPerPeer: 32 });
    try {
      const open32 = await Promise.all(Array.from({ length: 32 }, () => open(port)));
      const extra = await ScuAssociation.connect(scuOptions(port));
      assert.ok(!extra.ok);
      assert.equal(extra.error.kind, 'rejected');
      assert.deepEqual(extra.error.rejection, { result: 2, source: 3, reason: 2 });
      const echoes = await Promise.all(open32.map((a) => a.echo()));
      assert.ok(echoes.every((e) => e.ok && e.value.status === 0));
      await Promise.all(open32.map((a) => a.release()));
      for (let i = 0; i < 100 && server.associations() > 0; i++) await delay(10);
      const again = await open(port);
      assert.ok((await again.echo()).ok);
      await again.release();
      assert.ok(handlers.security.some((e) => e.kind === 'association-limit'));
    } finally {
      await server.close(1000);
    }
  });

  it('applies the per-peer limit', async () => {
    const { server, port } = await startServer(new RecordingHandlers(), { maxAssociations: 10, maxAssociationsPerPeer: 2 });
    try {
      const two = [await open(port), await open(port)];
      const third = await ScuAssociation.connect(scuOptions(port));
      assert.ok(!third.ok && third.error.kind === 'rejected');
      await Promise.all(two.map((a) => a.release()));
    } finally {
      await server.close(1000);
    }
  });
});

describe('server close', () => {
  it('aborts idle associations, lets a store in progress finish first, and stops listening', async () => {
    const handlers = new RecordingHandlers();
    const { server, port } = await startServer(handlers);
    const idle = await open(port);
    const busy = await open(port);
    let letGo: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      letGo = r;
    });
    let entered: () => void = () => undefined;
    const inWrite = new Promise<void>((r) => {
      entered = r;
    });
    handlers.onWrite = async () => {
      entered();
      await held;
    };
    const storing = busy.store({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.8', transferSyntaxUid: EXPLICIT_LE, dataset: patterned(100_000) });
    await inWrite;
    const closing = server.close(5000);
    assert.equal((await idle.echo()).ok, false, 'the idle association was aborted');
    letGo();
    assert.deepEqual(await storing, { ok: true, value: { status: 0 } });
    await closing;
    assert.equal(server.connections(), 0);
    const after = await ScuAssociation.connect(scuOptions(port));
    assert.ok(!after.ok && after.error.kind === 'connect-failed');
  });
});

describe('backpressure', () => {
  it('pauses the socket while the handler is slow: the sender stalls, memory stays bounded', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let writes = 0;
    let received = 0;
    const hash = createHash('sha256');
    const recording = new RecordingHandlers();
    const handlers: DimseServiceHandlers = {
      ...recording,
      acceptAssociation: () => ({ accept: true }),
      echo: () => ({ status: 0 }),
      securityEvent: () => undefined,
      beginStore: () => ({
        write: async (fragment) => {
          writes++;
          await gate;
          received += fragment.length;
          hash.update(fragment);
        },
        end: () => Promise.resolve({ status: 0 }),
        abort: () => Promise.resolve(),
      }),
    };
    const { server, port } = await startServer(handlers);
    try {
      const scu = await open(port);
      const total = 64 * 1024 * 1024;
      let produced = 0;
      const source = patterned(1024 * 1024);
      const expected = createHash('sha256');
      async function* slowlyConsumed(): AsyncGenerator<Uint8Array> {
        while (produced < total) {
          await Promise.resolve();
          produced += source.length;
          expected.update(source);
          yield source;
        }
      }
      const result = scu.store({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.7', transferSyntaxUid: EXPLICIT_LE, dataset: slowlyConsumed() });
      // Wait until the sender has stopped producing (its socket is full because ours is paused).
      let last = -1;
      let stable = 0;
      while (stable < 5) {
        await delay(40);
        stable = produced === last ? stable + 1 : 0;
        last = produced;
      }
      assert.equal(writes, 1, 'one fragment handed over, the next waits for it');
      assert.ok(produced < 32 * 1024 * 1024, `sender produced ${produced} bytes while the handler was stuck`);
      release();
      assert.deepEqual(await result, { ok: true, value: { status: 0 } });
      assert.equal(received, total);
      assert.equal(hash.digest('hex'), expected.digest('hex'));
      await scu.release();
    } finally {
      release();
      await server.close(1000);
    }
  });
});

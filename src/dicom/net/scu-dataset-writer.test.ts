import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN } from '../dictionary/index.js';
import { decodePData } from './pdu-codec.js';
import { PduReader } from './pdu-reader.js';
import { DatasetWriter, type DatasetSource } from './scu-dataset-writer.js';

/** Sends `source` through a DatasetWriter over loopback and returns the PDV payloads received. */
async function sendAndCapture(source: DatasetSource, transferSyntaxUid: string, maxFragment: number): Promise<Buffer[]> {
  const received: Buffer[] = [];
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const peer = await accepted;
  const reader = new PduReader(1024 * 1024);
  const done = new Promise<void>((resolve) => {
    peer.on('data', (chunk: Buffer) => {
      for (const pdu of reader.push(chunk).pdus) {
        const pdvs = decodePData(pdu.body, 4);
        assert.ok(Array.isArray(pdvs));
        for (const pdv of pdvs) {
          received.push(Buffer.from(pdv.data));
          if (pdv.isLast) resolve();
        }
      }
    });
  });
  assert.equal(await new DatasetWriter(client, 1, maxFragment, transferSyntaxUid).send(source), true);
  await done;
  client.destroy();
  peer.destroy();
  server.close();
  return received;
}

function chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (const part of parts) yield await Promise.resolve(part);
  })();
}

describe('DatasetWriter', () => {
  const odd = Buffer.from(Array.from({ length: 101 }, (_, i) => (i * 13) % 251 || 1));

  it('pads an odd-length deflated dataset with one NUL byte, from a buffer or a stream', async () => {
    for (const source of [odd, chunks(odd.subarray(0, 40), odd.subarray(40))]) {
      const pdvs = await sendAndCapture(source, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, 32);
      const all = Buffer.concat(pdvs);
      assert.deepEqual(all, Buffer.concat([odd, Buffer.from([0])]));
      assert.ok(pdvs.every((pdv) => pdv.length % 2 === 0), `PDV lengths ${pdvs.map((p) => p.length).join(',')}`);
    }
  });

  it('sends any other transfer syntax exactly as stored, odd or not', async () => {
    const pdvs = await sendAndCapture(chunks(odd), EXPLICIT_VR_LITTLE_ENDIAN, 32);
    assert.deepEqual(Buffer.concat(pdvs), odd);
  });

  it('cuts even fragments even when the peer allows an odd maximum', async () => {
    const even = Buffer.alloc(100, 7);
    const pdvs = await sendAndCapture(even, EXPLICIT_VR_LITTLE_ENDIAN, 33);
    assert.deepEqual(pdvs.map((pdv) => pdv.length), [32, 32, 32, 4]);
  });
});

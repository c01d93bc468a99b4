import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeAbort, encodePData, encodeReleaseRq } from './pdu-codec.js';
import { PduReader } from './pdu-reader.js';
import { PduType } from './pdu-types.js';
import { associateRq } from './test-support.js';

describe('PduReader', () => {
  it('cuts PDUs delivered one byte at a time', () => {
    const stream = Buffer.concat([associateRq(), encodePData(1, true, Buffer.alloc(100, 7), 1000), encodeReleaseRq()]);
    const reader = new PduReader(65536);
    const types: number[] = [];
    for (let i = 0; i < stream.length; i++) {
      const r = reader.push(stream.subarray(i, i + 1));
      assert.equal(r.error, null);
      for (const p of r.pdus) types.push(p.type);
    }
    assert.deepEqual(types, [PduType.AssociateRq, PduType.PData, PduType.ReleaseRq]);
    assert.equal(reader.bufferedBytes, 0);
  });

  it('returns views of the socket chunk when a PDU lies within it (zero copy)', () => {
    const chunk = Buffer.concat([encodePData(1, false, Buffer.alloc(5000, 1), 10000), encodeAbort({ source: 0, reason: 0 })]);
    const r = new PduReader(65536).push(chunk);
    assert.equal(r.pdus.length, 2);
    assert.equal(r.pdus[0]!.body.buffer, chunk.buffer);
  });

  it('hands a PDU that spans reads over as views of those reads (zero copy), joined only on request', () => {
    const pdu = encodePData(1, false, Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251)), 10000);
    // Each read in memory of its own (a small Buffer.from would share a pool, and so would a copy).
    const chunks = [pdu.subarray(0, 1000), pdu.subarray(1000, 2000), pdu.subarray(2000)].map((c) => {
      const own = Buffer.alloc(c.length);
      own.set(c);
      return own;
    });
    const reader = new PduReader(65536);
    const pdus = chunks.flatMap((chunk) => reader.push(chunk).pdus);
    assert.equal(pdus.length, 1);
    const [received] = pdus;
    assert.deepEqual(received!.pieces.map((p) => p.buffer), chunks.map((c) => c.buffer), 'views of the three reads');
    assert.deepEqual(received!.body, pdu.subarray(6));
  });

  it('refuses an unknown PDU type at its first byte', () => {
    const r = new PduReader(65536).push(Buffer.from([0x09]));
    assert.equal(r.error?.kind, 'unknown-pdu-type');
  });

  it('recognizes an HTTP request and a TLS ClientHello on the port', () => {
    assert.equal(new PduReader(65536).push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).error?.kind, 'http-on-dicom-port');
    assert.equal(new PduReader(65536).push(Buffer.from('POST /x HTTP/1.1\r\n')).error?.kind, 'http-on-dicom-port');
    assert.equal(new PduReader(65536).push(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])).error?.kind, 'tls-on-dicom-port');
  });

  it('refuses a declared length above the maximum before any of its bytes arrive', () => {
    const reader = new PduReader(1024);
    const r = reader.push(Buffer.from([PduType.PData, 0, 0xff, 0xff, 0xff, 0xff]));
    assert.equal(r.error?.kind, 'pdu-too-large');
    assert.equal(reader.bufferedBytes, 0);
  });

  it('does not allocate a declared length ahead of the bytes', () => {
    const reader = new PduReader(1 << 20);
    const r = reader.push(Buffer.from([PduType.PData, 0, 0, 0x0f, 0, 0, 0, 0, 0]));
    assert.equal(r.error, null);
    assert.equal(reader.bufferedBytes, 3);
  });

  it('refuses zero or wrong lengths where the standard fixes them', () => {
    for (const header of [
      [PduType.PData, 0, 0, 0, 0, 0],
      [PduType.PData, 0, 0, 0, 0, 5],
      [PduType.ReleaseRq, 0, 0, 0, 0, 0],
      [PduType.Abort, 0, 0, 0, 0, 5],
      [PduType.AssociateRj, 0, 0, 0, 1, 0],
      [PduType.AssociateRq, 0, 0, 0, 0, 0],
      [PduType.AssociateAc, 0, 0, 0, 0, 10],
    ]) {
      assert.equal(new PduReader(65536).push(Buffer.from(header)).error?.kind, 'pdu-length-invalid', JSON.stringify(header));
    }
  });

  it('stays failed after an error', () => {
    const reader = new PduReader(65536);
    reader.push(Buffer.from([0x42]));
    assert.notEqual(reader.push(encodeReleaseRq()).error, null);
  });
});

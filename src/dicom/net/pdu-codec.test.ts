import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAssociateAc, decodeAssociateRq, encodeAssociateAc, encodeAssociateRq } from './associate-codec.js';
import { isDecodeError } from './item-reader.js';
import { decodeAbort, decodeAssociateRj, decodePData, encodeAbort, encodeAssociateRj, encodePData, encodeReleaseRp, encodeReleaseRq } from './pdu-codec.js';
import { type AssociateRq, DICOM_APPLICATION_CONTEXT, EMPTY_USER_INFORMATION, type Pdv, PduType } from './pdu-types.js';
import { associateRq } from './test-support.js';

const body = (pdu: Buffer): Buffer => pdu.subarray(6);

const fullRq: AssociateRq = {
  protocolVersion: 1,
  calledAeTitle: 'KAKUTEI',
  callingAeTitle: 'CT 1',
  applicationContextName: DICOM_APPLICATION_CONTEXT,
  presentationContexts: [
    { id: 1, abstractSyntaxUid: '1.2.840.10008.1.1', transferSyntaxUids: ['1.2.840.10008.1.2'] },
    { id: 3, abstractSyntaxUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUids: ['1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.1'] },
  ],
  userInformation: {
    maxPduLength: 16384,
    implementationClassUid: '1.2.3.4.5',
    implementationVersionName: 'TEST_1',
    asyncOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 2 },
    roleSelections: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', scuRole: true, scpRole: false }],
    extendedNegotiations: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', applicationInformation: Uint8Array.from([1, 0, 1]) }],
    userIdentity: { type: 2, positiveResponseRequested: true, primaryField: Buffer.from('user'), secondaryField: Buffer.from('secret') },
    userIdentityServerResponse: null,
  },
};

describe('A-ASSOCIATE-RQ/AC codec', () => {
  it('round-trips a request with every user information sub-item', () => {
    const pdu = encodeAssociateRq(fullRq);
    assert.equal(pdu[0], PduType.AssociateRq);
    assert.equal(pdu.readUInt32BE(2), pdu.length - 6);
    const decoded = decodeAssociateRq(body(pdu));
    assert.ok(!isDecodeError(decoded));
    assert.deepEqual(
      { ...decoded, userInformation: { ...decoded.userInformation, userIdentity: null, extendedNegotiations: [] } },
      { ...fullRq, userInformation: { ...fullRq.userInformation, userIdentity: null, extendedNegotiations: [] } },
    );
    assert.equal(Buffer.from(decoded.userInformation.userIdentity!.secondaryField).toString(), 'secret');
    assert.deepEqual([...decoded.userInformation.extendedNegotiations[0]!.applicationInformation], [1, 0, 1]);
  });

  it('round-trips an accept', () => {
    const ac = {
      ...fullRq,
      presentationContexts: [
        { id: 1, result: 0, transferSyntaxUid: '1.2.840.10008.1.2' },
        { id: 3, result: 4, transferSyntaxUid: '' },
      ],
      userInformation: { ...EMPTY_USER_INFORMATION, maxPduLength: 262144, implementationClassUid: '1.2.3' },
    };
    const decoded = decodeAssociateAc(body(encodeAssociateAc(ac)));
    assert.ok(!isDecodeError(decoded));
    assert.deepEqual(decoded.presentationContexts, ac.presentationContexts);
    assert.equal(decoded.userInformation.maxPduLength, 262144);
  });

  it('trims AE title padding and strips NUL padding from UIDs', () => {
    const pdu = associateRq({ callingAeTitle: '  PADDED ' });
    const decoded = decodeAssociateRq(body(pdu));
    assert.ok(!isDecodeError(decoded));
    assert.equal(decoded.callingAeTitle, 'PADDED');
  });

  it('refuses a body shorter than the fixed part', () => {
    const r = decodeAssociateRq(Buffer.alloc(40));
    assert.ok(isDecodeError(r) && r.kind === 'malformed');
  });

  it('refuses a sub-item longer than its parent item', () => {
    const pdu = Buffer.from(associateRq());
    // The first presentation context item follows the application context item (4 + 21 bytes).
    const ctxOffset = 6 + 68 + 4 + DICOM_APPLICATION_CONTEXT.length;
    assert.equal(pdu[ctxOffset], 0x20);
    // Make its abstract syntax sub-item claim 200 bytes.
    pdu.writeUInt16BE(200, ctxOffset + 4 + 4 + 2);
    const r = decodeAssociateRq(body(pdu));
    assert.ok(isDecodeError(r) && r.kind === 'malformed', JSON.stringify(r));
  });

  it('refuses an item longer than the PDU', () => {
    const pdu = Buffer.from(associateRq());
    pdu.writeUInt16BE(0xffff, 6 + 68 + 2);
    const r = decodeAssociateRq(body(pdu));
    assert.ok(isDecodeError(r) && r.kind === 'malformed');
  });

  it('refuses a truncated item header', () => {
    const pdu = Buffer.concat([associateRq(), Buffer.from([0x50, 0])]);
    pdu.writeUInt32BE(pdu.length - 6, 2);
    const r = decodeAssociateRq(body(pdu));
    assert.ok(isDecodeError(r) && r.kind === 'malformed');
  });

  it('reports 129 presentation contexts as a limit, not a crash', () => {
    const contexts = Array.from({ length: 129 }, (_, i) => ({ id: (2 * i + 1) & 0xff, abstractSyntaxUid: '1.2.840.10008.1.1', transferSyntaxUids: ['1.2.840.10008.1.2'] }));
    const r = decodeAssociateRq(body(associateRq({}, contexts)));
    assert.ok(isDecodeError(r) && r.kind === 'limit');
  });

  it('bounds thousands of tiny sub-items', () => {
    const tiny = Buffer.alloc(4 * 5000);
    for (let i = 0; i < 5000; i++) tiny[i * 4] = 0x40;
    const ctx = Buffer.concat([Buffer.from([0x20, 0, 0, 0]), Buffer.from([1, 0, 0, 0]), tiny]);
    ctx.writeUInt16BE(ctx.length - 4, 2);
    const base = associateRq({}, [{ id: 1, abstractSyntaxUid: '1.2.840.10008.1.1', transferSyntaxUids: ['1.2.840.10008.1.2'] }]);
    const pdu = Buffer.concat([base, ctx]);
    pdu.writeUInt32BE(pdu.length - 6, 2);
    const r = decodeAssociateRq(body(pdu));
    assert.ok(isDecodeError(r) && r.kind === 'limit');
  });

  it('refuses a presentation context without transfer syntax, or with two abstract syntaxes', () => {
    const none = decodeAssociateRq(body(associateRq({}, [{ id: 1, abstractSyntaxUid: '1.2.840.10008.1.1', transferSyntaxUids: [] }])));
    assert.ok(isDecodeError(none));
  });

  it('refuses an over-long UID and a malformed maximum length sub-item', () => {
    const longUid = decodeAssociateRq(body(associateRq({}, [{ id: 1, abstractSyntaxUid: '1.'.repeat(40), transferSyntaxUids: ['1.2'] }])));
    assert.ok(isDecodeError(longUid));
    const pdu = Buffer.from(associateRq());
    const at = pdu.indexOf(Buffer.from([0x51, 0, 0, 4]));
    pdu.writeUInt16BE(3, at + 2);
    assert.ok(isDecodeError(decodeAssociateRq(body(pdu))));
  });
});

describe('small PDUs', () => {
  it('round-trips A-ASSOCIATE-RJ and A-ABORT, refusing wrong lengths', () => {
    assert.deepEqual(decodeAssociateRj(body(encodeAssociateRj({ result: 2, source: 3, reason: 2 }))), { result: 2, source: 3, reason: 2 });
    assert.deepEqual(decodeAbort(body(encodeAbort({ source: 2, reason: 6 }))), { source: 2, reason: 6 });
    assert.ok(isDecodeError(decodeAbort(Buffer.alloc(3))));
    assert.ok(isDecodeError(decodeAssociateRj(Buffer.alloc(5))));
    assert.deepEqual([...encodeReleaseRq()], [5, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    assert.deepEqual([...encodeReleaseRp()], [6, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
  });
});

/** A copy in memory of its own (a small `Buffer.from` shares a pool with others). */
function unpooled(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(bytes.length);
  out.set(bytes);
  return out;
}

describe('P-DATA-TF', () => {
  it('fragments a payload into PDUs no larger than the peer maximum, last bit on the last only', () => {
    const payload = Buffer.from(Array.from({ length: 25 }, (_, i) => i));
    const pdus = encodePData(5, false, payload, 10);
    const out: Buffer[] = [];
    let at = 0;
    const flags: number[] = [];
    while (at < pdus.length) {
      assert.equal(pdus[at], PduType.PData);
      const len = pdus.readUInt32BE(at + 2);
      assert.ok(len <= 16);
      const pdvs = decodePData(pdus.subarray(at + 6, at + 6 + len), 0);
      assert.ok(!isDecodeError(pdvs));
      for (const p of pdvs) {
        assert.equal(p.contextId, 5);
        assert.equal(p.isCommand, false);
        flags.push(p.isLast ? 1 : 0);
        out.push(p.data);
      }
      at += 6 + len;
    }
    assert.deepEqual(flags, [0, 0, 1]);
    assert.deepEqual(Buffer.concat(out), payload);
  });

  it('gives views into the PDU, not copies', () => {
    const pdu = encodePData(1, true, Buffer.from('abcd'), 100);
    const pdvs = decodePData(pdu.subarray(6), 0);
    assert.ok(!isDecodeError(pdvs));
    assert.equal(pdvs[0]!.data.buffer, pdu.buffer);
  });

  it('refuses an empty PDU, short or lying PDV lengths and reserved control bits', () => {
    assert.ok(isDecodeError(decodePData(Buffer.alloc(0), 10)));
    assert.ok(isDecodeError(decodePData(Buffer.from([0, 0, 0, 1, 1, 0]), 10)));
    assert.ok(isDecodeError(decodePData(Buffer.from([0, 0, 0, 9, 1, 3, 0, 0]), 10)));
    assert.ok(isDecodeError(decodePData(Buffer.from([0, 0, 0, 3, 1, 0x80, 0]), 10)));
    assert.ok(isDecodeError(decodePData(Buffer.from([0, 0, 0, 2, 1]), 10)));
  });

  it('decodes a body that arrived in pieces as views of them, cut wherever it was cut', () => {
    // Three PDVs: a command (last), an empty dataset PDV, a dataset PDV (last).
    const pdv = (contextId: number, control: number, data: Buffer): Buffer => {
      const header = Buffer.alloc(6);
      header.writeUInt32BE(data.length + 2, 0);
      header[4] = contextId;
      header[5] = control;
      return Buffer.concat([header, data]);
    };
    const body = Buffer.concat([pdv(1, 3, Buffer.from('command')), pdv(3, 0, Buffer.alloc(0)), pdv(3, 2, Buffer.from(Array.from({ length: 40 }, (_, i) => i)))]);
    const whole = decodePData(body, 10);
    assert.ok(!isDecodeError(whole));
    const messages = (pdvs: readonly Pdv[]): string[] => {
      // Joins consecutive PDVs until a last one, as the receiver does; keeps context and kind.
      const out: string[] = [];
      let current = '';
      for (const p of pdvs) {
        current += `${p.data.toString('hex')}`;
        if (p.isLast) {
          out.push(`${p.contextId}:${p.isCommand ? 'c' : 'd'}:${current}`);
          current = '';
        }
      }
      return out;
    };
    for (let a = 1; a < body.length; a++) {
      for (const b of [a + 1, a + 7, body.length - 1]) {
        const cuts = [0, a, ...(b > a && b < body.length ? [b] : []), body.length];
        // Buffer.alloc, not Buffer.from: each piece its own memory (small Buffer.from shares a pool).
        const pieces = cuts.slice(1).map((end, i) => unpooled(body.subarray(cuts[i], end)));
        const split = decodePData(pieces, 10);
        assert.ok(!isDecodeError(split), `cut at ${cuts.join(',')}`);
        assert.deepEqual(messages(split), messages(whole), `cut at ${cuts.join(',')}`);
        for (const p of split) if (p.data.length > 0) assert.ok(pieces.some((piece) => piece.buffer === p.data.buffer), 'a view of a piece, not a copy');
      }
    }
    // The same refusals, wherever the pieces are cut.
    for (const bad of [[0, 0, 0, 1, 1, 0], [0, 0, 0, 9, 1, 3, 0, 0], [0, 0, 0, 3, 1, 0x80, 0], [0, 0, 0, 2, 1]]) {
      for (let a = 1; a < bad.length; a++) assert.ok(isDecodeError(decodePData([Buffer.from(bad.slice(0, a)), Buffer.from(bad.slice(a))], 10)), `${bad.join(',')} cut at ${a}`);
    }
  });

  it('bounds a flood of empty PDVs', () => {
    const flood = Buffer.alloc(6 * 40000);
    for (let i = 0; i < 40000; i++) {
      flood.writeUInt32BE(2, i * 6);
      flood[i * 6 + 4] = 1;
    }
    const r = decodePData(flood, 64);
    assert.ok(isDecodeError(r) && /empty/.test(r.detail));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandField, NO_DATASET, decodeCommand, encodeCommand, hasDataset } from './dimse-command.js';
import { encodeStoreRq, encodeStoreRsp } from './dimse-messages.js';
import { isDecodeError } from './item-reader.js';
import { AE_TITLE_MAX_LENGTH, isValidAeTitle, isValidUid } from './values.js';

describe('DIMSE command sets', () => {
  it('round-trips a C-STORE-RQ with a correct group length', () => {
    const bytes = encodeStoreRq({ messageId: 7, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.45', priority: 2, moveOriginatorAeTitle: 'MOVER', moveOriginatorMessageId: 3 });
    assert.equal(bytes.readUInt32LE(8), bytes.length - 12);
    const c = decodeCommand(bytes);
    assert.ok(!isDecodeError(c));
    assert.equal(c.commandField, CommandField.CStoreRq);
    assert.equal(c.messageId, 7);
    assert.equal(c.priority, 2);
    assert.equal(c.affectedSopClassUid, '1.2.840.10008.5.1.4.1.1.2');
    assert.equal(c.affectedSopInstanceUid, '1.2.3.45');
    assert.equal(c.moveOriginatorAeTitle, 'MOVER');
    assert.equal(c.moveOriginatorMessageId, 3);
    assert.ok(hasDataset(c));
  });

  it('writes elements in ascending tag order with even lengths', () => {
    const bytes = encodeCommand({ commandField: 0x8001, affectedSopClassUid: '1.2.3', messageIdBeingRespondedTo: 1, hasDataset: false, status: 0xa700, errorComment: 'disk', affectedSopInstanceUid: '1.2.345' });
    let at = 0;
    let last = -1;
    while (at < bytes.length) {
      const tag = bytes.readUInt16LE(at + 2);
      const len = bytes.readUInt32LE(at + 4);
      assert.ok(tag > last);
      assert.equal(len % 2, 0);
      last = tag;
      at += 8 + len;
    }
    const c = decodeCommand(bytes);
    assert.ok(!isDecodeError(c));
    assert.equal(c.status, 0xa700);
    assert.equal(c.errorComment, 'disk');
    assert.equal(c.commandDataSetType, NO_DATASET);
  });

  it('keeps an error comment within LO and free of control characters and backslashes', () => {
    const rq = decodeCommand(encodeStoreRq({ messageId: 1, sopClassUid: '1.2', sopInstanceUid: '1.3' }));
    assert.ok(!isDecodeError(rq));
    const c = decodeCommand(encodeStoreRsp(rq, 0xc000, 'a\\b\nc'.repeat(30)));
    assert.ok(!isDecodeError(c));
    assert.ok(c.errorComment!.length <= 64);
    assert.ok(!/[\\\n]/.test(c.errorComment!));
  });

  it('refuses lying element lengths, other groups, missing fields and floods', () => {
    const good = encodeStoreRq({ messageId: 1, sopClassUid: '1.2', sopInstanceUid: '1.3' });
    const lying = Buffer.from(good);
    lying.writeUInt32LE(0xffffff, 12 + 4);
    assert.ok(isDecodeError(decodeCommand(lying)));
    const otherGroup = Buffer.from(good);
    otherGroup.writeUInt16LE(8, 12);
    assert.ok(isDecodeError(decodeCommand(otherGroup)));
    assert.ok(isDecodeError(decodeCommand(good.subarray(0, good.length - 3))));
    assert.ok(isDecodeError(decodeCommand(Buffer.alloc(0))));
    const flood = Buffer.alloc(8 * 100);
    for (let i = 0; i < 100; i++) flood.writeUInt16LE(0x2000 + i, i * 8 + 2);
    assert.ok(isDecodeError(decodeCommand(flood)));
    const badUs = Buffer.from([0, 0, 0x00, 0x01, 4, 0, 0, 0, 1, 0, 0, 0]);
    assert.ok(isDecodeError(decodeCommand(badUs)));
  });
});

describe('AE titles and UIDs', () => {
  it('accepts 1–16 printable characters without backslash', () => {
    assert.ok(isValidAeTitle('KAKUTEI'));
    assert.ok(isValidAeTitle('CT 1'));
    assert.ok(isValidAeTitle('A'.repeat(AE_TITLE_MAX_LENGTH)));
    for (const bad of ['', ' ', 'A'.repeat(17), 'A\\B', 'A\nB', 'A\u0000', 'A\u001b', 'Ä', ' LEAD']) assert.equal(isValidAeTitle(bad), false, JSON.stringify(bad));
  });

  it('accepts UIDs of digits and dots up to 64 characters', () => {
    assert.ok(isValidUid('1.2.840.10008.1.1'));
    for (const bad of ['', '1..2', '1.2/3', '../1', '1.2\u0000', '1.'.repeat(33) + '1', '.1']) assert.equal(isValidUid(bad), false, JSON.stringify(bad));
  });
});

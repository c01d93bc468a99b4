import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STORAGE_SOP_CLASSES, TRANSFER_SYNTAXES, isLossyTransferSyntax, isStorageSopClass, storageSopClassOf, transferSyntaxOf } from './index.js';

describe('storage SOP classes (generated from PS3.6 Table A-1)', () => {
  it('contains the everyday image classes', () => {
    for (const uid of ['1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.4', '1.2.840.10008.5.1.4.1.1.1.1', '1.2.840.10008.5.1.4.1.1.7', '1.2.840.10008.5.1.4.1.1.88.67', '1.2.840.10008.5.1.4.1.1.104.1']) {
      assert.ok(isStorageSopClass(uid, new Set()), uid);
    }
    assert.equal(storageSopClassOf('1.2.840.10008.5.1.4.1.1.2')?.keyword, 'CTImageStorage');
  });

  it('keeps retired classes, flagged', () => {
    assert.equal(storageSopClassOf('1.2.840.10008.5.1.4.1.1.6')?.retired, true);
    assert.equal(storageSopClassOf('1.2.840.10008.5.1.4.1.1.6.1')?.retired, false);
  });

  it('excludes Storage Commitment, Media Storage Directory, query/retrieve and Verification', () => {
    for (const uid of ['1.2.840.10008.1.20.1', '1.2.840.10008.1.20.2', '1.2.840.10008.1.3.10', '1.2.840.10008.5.1.4.1.2.2.1', '1.2.840.10008.1.1', '1.2.840.10008.5.1.4.1.1.201.2']) {
      assert.equal(isStorageSopClass(uid, new Set()), false, uid);
    }
  });

  it('accepts a private class only when allowed', () => {
    assert.equal(isStorageSopClass('1.3.12.2.1107.5.9.1', new Set()), false);
    assert.equal(isStorageSopClass('1.3.12.2.1107.5.9.1', new Set(['1.3.12.2.1107.5.9.1'])), true);
  });

  it('has unique, well-formed UIDs and names ending in Storage', () => {
    assert.equal(new Set(STORAGE_SOP_CLASSES.map((c) => c.uid)).size, STORAGE_SOP_CLASSES.length);
    for (const c of STORAGE_SOP_CLASSES) {
      assert.match(c.uid, /^1\.2\.840\.10008(\.\d+)+$/);
      assert.match(c.name, /Storage( SOP Class)?( - (For Presentation|For Processing|Trial))?$/);
    }
  });
});

describe('transfer syntaxes', () => {
  it('marks lossy and lossless as PS3.5 defines the processes', () => {
    const lossy = ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.203', '1.2.840.10008.1.2.4.100', '1.2.840.10008.1.2.4.108'];
    const lossless = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.5'];
    for (const uid of lossy) assert.equal(isLossyTransferSyntax(uid), true, uid);
    for (const uid of lossless) assert.equal(isLossyTransferSyntax(uid), false, uid);
  });

  it('describes the dataset encodings', () => {
    assert.deepEqual(transferSyntaxOf('1.2.840.10008.1.2'), { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', lossy: false, encapsulated: false, explicitVr: false, littleEndian: true, deflated: false, retired: false });
    assert.equal(transferSyntaxOf('1.2.840.10008.1.2.2')?.littleEndian, false);
    assert.equal(transferSyntaxOf('1.2.840.10008.1.2.1.99')?.deflated, true);
    assert.equal(transferSyntaxOf('1.2.3'), null);
    assert.ok(TRANSFER_SYNTAXES.filter((t) => t.encapsulated).every((t) => t.explicitVr && t.littleEndian));
  });
});

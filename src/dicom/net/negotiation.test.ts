import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkContextIds, chooseTransferSyntax, negotiatePresentationContexts } from './negotiation.js';
import { CT_IMAGE_STORAGE, EXPLICIT_LE, HTJ2K_LOSSLESS, IMPLICIT_LE, JPEG_BASELINE, TEST_TRANSFER_SYNTAXES } from './test-support.js';

const supported = new Map(TEST_TRANSFER_SYNTAXES.map((t) => [t.uid, t] as const));
const JPEG_2000_LOSSY = '1.2.840.10008.1.2.4.91';

describe('transfer syntax choice', () => {
  it('takes the first proposed lossless supported syntax', () => {
    assert.equal(chooseTransferSyntax([HTJ2K_LOSSLESS, EXPLICIT_LE, IMPLICIT_LE], supported), HTJ2K_LOSSLESS);
    assert.equal(chooseTransferSyntax(['1.9.9', EXPLICIT_LE, IMPLICIT_LE], supported), EXPLICIT_LE);
  });

  it('prefers a later lossless syntax over an earlier lossy one', () => {
    assert.equal(chooseTransferSyntax([JPEG_BASELINE, IMPLICIT_LE], supported), IMPLICIT_LE);
  });

  it('falls back to the first supported lossy syntax only when no lossless one is proposed', () => {
    assert.equal(chooseTransferSyntax([JPEG_2000_LOSSY, JPEG_BASELINE], supported), JPEG_BASELINE);
    assert.equal(chooseTransferSyntax([JPEG_2000_LOSSY], supported), null);
  });
});

describe('presentation context negotiation', () => {
  it('answers every context in order with results 0, 3 and 4', () => {
    const outcome = negotiatePresentationContexts(
      [
        { id: 1, abstractSyntaxUid: CT_IMAGE_STORAGE, transferSyntaxUids: [JPEG_BASELINE, EXPLICIT_LE] },
        { id: 3, abstractSyntaxUid: '1.2.3.999', transferSyntaxUids: [EXPLICIT_LE] },
        { id: 5, abstractSyntaxUid: CT_IMAGE_STORAGE, transferSyntaxUids: [JPEG_2000_LOSSY] },
      ],
      [
        { sopClassUid: CT_IMAGE_STORAGE, scuRole: true, scpRole: true },
        { sopClassUid: '1.2.3.999', scuRole: true, scpRole: false },
      ],
      { abstractSyntaxes: (uid) => uid === CT_IMAGE_STORAGE, transferSyntaxes: TEST_TRANSFER_SYNTAXES },
    );
    assert.deepEqual(outcome.results, [
      { id: 1, result: 0, transferSyntaxUid: EXPLICIT_LE },
      { id: 3, result: 3, transferSyntaxUid: '' },
      { id: 5, result: 4, transferSyntaxUid: '' },
    ]);
    assert.deepEqual([...outcome.accepted.keys()], [1]);
    assert.deepEqual(outcome.roleReplies, [{ sopClassUid: CT_IMAGE_STORAGE, scuRole: true, scpRole: false }]);
  });

  it('accepts the requestor SCP role for storage classes only on a C-GET association (PS3.4 C.4.3)', () => {
    const GET = '1.2.840.10008.5.1.4.1.2.2.3';
    const policy = { abstractSyntaxes: new Set([CT_IMAGE_STORAGE, GET]), transferSyntaxes: TEST_TRANSFER_SYNTAXES };
    const roles = [
      { sopClassUid: CT_IMAGE_STORAGE, scuRole: false, scpRole: true },
      { sopClassUid: GET, scuRole: true, scpRole: true },
    ];
    const withGet = negotiatePresentationContexts(
      [
        { id: 1, abstractSyntaxUid: GET, transferSyntaxUids: [IMPLICIT_LE] },
        { id: 3, abstractSyntaxUid: CT_IMAGE_STORAGE, transferSyntaxUids: [EXPLICIT_LE] },
      ],
      roles,
      policy,
    );
    assert.deepEqual(withGet.roleReplies, [
      { sopClassUid: CT_IMAGE_STORAGE, scuRole: false, scpRole: true },
      { sopClassUid: GET, scuRole: true, scpRole: false },
    ]);
    const withoutGet = negotiatePresentationContexts([{ id: 1, abstractSyntaxUid: CT_IMAGE_STORAGE, transferSyntaxUids: [EXPLICIT_LE] }], roles, policy);
    assert.deepEqual(withoutGet.roleReplies, [{ sopClassUid: CT_IMAGE_STORAGE, scuRole: false, scpRole: false }]);
  });

  it('checks context IDs: odd and unique', () => {
    assert.equal(checkContextIds([{ id: 1, abstractSyntaxUid: '1', transferSyntaxUids: ['1'] }]), null);
    assert.notEqual(checkContextIds([{ id: 2, abstractSyntaxUid: '1', transferSyntaxUids: ['1'] }]), null);
    assert.notEqual(checkContextIds([1, 1].map((id) => ({ id, abstractSyntaxUid: '1', transferSyntaxUids: ['1'] }))), null);
  });
});

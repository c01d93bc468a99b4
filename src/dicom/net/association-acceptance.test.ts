import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAssociateAc } from './associate-codec.js';
import { type AcceptorIdentity, buildAssociateAc, checkAssociateRq, sendLimitOf } from './association-acceptance.js';
import { isDecodeError } from './item-reader.js';
import type { NegotiationOutcome } from './negotiation.js';
import { type AssociateRq, DICOM_APPLICATION_CONTEXT, RejectReason, RejectResult, RejectSource } from './pdu-types.js';

const acceptor: AcceptorIdentity = {
  aeTitle: 'KAKUTEI',
  calledAeTitleCheck: 'exact',
  implementationClassUid: '2.25.1',
  implementationVersionName: 'KAKUTEI_TEST',
  maxPduBytes: 262144,
  maxSendPduBytes: 131072,
};

function request(overrides: Partial<AssociateRq> & { maxPduLength?: number | null; asyncWindow?: boolean } = {}): AssociateRq {
  const { maxPduLength = 16384, asyncWindow = false, ...rest } = overrides;
  return {
    protocolVersion: 1,
    calledAeTitle: 'KAKUTEI',
    callingAeTitle: 'MODALITY',
    applicationContextName: DICOM_APPLICATION_CONTEXT,
    presentationContexts: [{ id: 1, abstractSyntaxUid: '1.2.840.10008.1.1', transferSyntaxUids: ['1.2.840.10008.1.2'] }],
    userInformation: {
      maxPduLength,
      implementationClassUid: '1.2.3',
      implementationVersionName: null,
      asyncOperationsWindow: asyncWindow ? { maxOperationsInvoked: 8, maxOperationsPerformed: 8 } : null,
      roleSelections: [],
      extendedNegotiations: [],
      userIdentity: null,
      userIdentityServerResponse: null,
    },
    ...rest,
  };
}

describe('A-ASSOCIATE-RQ checks (PS3.8 table 9-21)', () => {
  it('lets a well-formed request for our AE title go on', () => {
    assert.equal(checkAssociateRq(request(), acceptor), null);
    assert.equal(checkAssociateRq(request({ calledAeTitle: 'ANYONE' }), { ...acceptor, calledAeTitleCheck: 'any' }), null);
  });

  it('refuses with the reason and source of the first check that fails, in the table order', () => {
    const cases: [AssociateRq, number, number, string | null][] = [
      [request({ protocolVersion: 2, callingAeTitle: '' }), RejectSource.ServiceProviderAcse, RejectReason.Acse.ProtocolVersionNotSupported, null],
      [request({ applicationContextName: '1.2.3', callingAeTitle: '' }), RejectSource.ServiceUser, RejectReason.User.ApplicationContextNotSupported, null],
      [request({ callingAeTitle: '  ' }), RejectSource.ServiceUser, RejectReason.User.CallingAeNotRecognized, 'association-rejected'],
      [request({ calledAeTitle: 'SOMEONE' }), RejectSource.ServiceUser, RejectReason.User.CalledAeNotRecognized, 'association-rejected'],
      [request({ presentationContexts: [{ id: 2, abstractSyntaxUid: '1.2.840.10008.1.1', transferSyntaxUids: ['1.2.840.10008.1.2'] }] }), RejectSource.ServiceUser, RejectReason.User.NoReasonGiven, 'malformed-pdu'],
      [request({ maxPduLength: 512 }), RejectSource.ServiceUser, RejectReason.User.NoReasonGiven, 'malformed-pdu'],
    ];
    for (const [rq, source, reason, security] of cases) {
      const refused = checkAssociateRq(rq, acceptor);
      assert.ok(refused !== null);
      assert.deepEqual(refused.rejection, { result: RejectResult.Permanent, source, reason });
      assert.equal(refused.security?.kind ?? null, security);
    }
  });
});

describe('A-ASSOCIATE-AC', () => {
  const outcome: NegotiationOutcome = {
    results: [{ id: 1, result: 0, transferSyntaxUid: '1.2.840.10008.1.2' }],
    accepted: new Map([[1, { id: 1, abstractSyntaxUid: '1.2.840.10008.1.1', transferSyntaxUid: '1.2.840.10008.1.2' }]]),
    roleReplies: [],
  };

  it('answers one operation at a time when asked for a window, and nothing when not asked', () => {
    for (const asyncWindow of [false, true]) {
      const ac = decodeAssociateAc(buildAssociateAc(request({ asyncWindow }), outcome, acceptor).subarray(6));
      assert.ok(!isDecodeError(ac));
      assert.deepEqual(ac.userInformation.asyncOperationsWindow, asyncWindow ? { maxOperationsInvoked: 1, maxOperationsPerformed: 1 } : null);
      assert.equal(ac.userInformation.maxPduLength, acceptor.maxPduBytes);
      assert.equal(ac.userInformation.implementationClassUid, acceptor.implementationClassUid);
      assert.equal(ac.calledAeTitle, 'KAKUTEI');
    }
  });

  it('sends P-DATA within the peer\'s Maximum Length and our own bound (0: no limit of the peer)', () => {
    assert.equal(sendLimitOf(request({ maxPduLength: 16384 }), acceptor), 16384);
    assert.equal(sendLimitOf(request({ maxPduLength: 0 }), acceptor), acceptor.maxSendPduBytes);
    assert.equal(sendLimitOf(request({ maxPduLength: 1 << 24 }), acceptor), acceptor.maxSendPduBytes);
  });
});

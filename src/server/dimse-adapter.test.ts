import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEventInput } from '../audit/index.js';
import type { AssociationRequestInfo } from '../dicom/net/index.js';
import type { IngestService } from '../ingest/index.js';
import { silentLogger } from '../log/index.js';
import type { DicomService } from './dicom-access.js';
import { createDimseHandlers } from './dimse-adapter.js';

const request: AssociationRequestInfo = {
  associationId: 'a1',
  callingAeTitle: 'CT01',
  calledAeTitle: 'KAKUTEI',
  peerAddress: '127.0.0.1',
  peerPort: 40000,
  implementationClassUid: null,
  implementationVersionName: null,
  proposedContexts: [],
  userIdentity: null,
  tlsCertificateSubject: null,
};

function handlersWith(options: { healthy: boolean; admitted: boolean; services?: DicomService[] }) {
  const events: AuditEventInput[] = [];
  const handlers = createDimseHandlers({
    // The ingest core is never reached in these cases: refused before any dataset.
    ingest: {} as IngestService,
    access: {
      admit: () => {
        const services = new Set<DicomService>(options.services ?? ['echo', 'store']);
        return options.admitted ? { admitted: true, peerName: null, may: (service: DicomService) => services.has(service) } : { admitted: false };
      },
    },
    audit: {
      healthy: () => options.healthy,
      record: (event) => {
        events.push(event);
        return Promise.resolve();
      },
    },
    logger: silentLogger(),
  });
  return { handlers, events };
}

describe('DIMSE access and audit decisions', () => {
  it('refuses every association, transiently, while the audit trail cannot record', async () => {
    const { handlers } = handlersWith({ healthy: false, admitted: true });
    assert.deepEqual(await handlers.acceptAssociation(request), { accept: false, result: 2, source: 3, reason: 1 });
  });

  it('rejects an AE the registry does not admit (reason 3) and raises a security alert', async () => {
    const { handlers, events } = handlersWith({ healthy: true, admitted: false });
    assert.deepEqual(await handlers.acceptAssociation(request), { accept: false, result: 1, source: 1, reason: 3 });
    assert.equal(events[0]?.action, 'security-alert');
    assert.equal(events[0]?.detail?.['kind'], 'calling-ae-not-allowed');
  });

  it('answers 0124 to a service the peer may not use, and summarises the association when it ends', async () => {
    const { handlers, events } = handlersWith({ healthy: true, admitted: true, services: ['store'] });
    assert.deepEqual(await handlers.acceptAssociation(request), { accept: true });
    const association = { associationId: 'a1', callingAeTitle: 'CT01', calledAeTitle: 'KAKUTEI', peerAddress: '127.0.0.1', peerPort: 40000 };
    const echo = await handlers.echo(association);
    assert.equal(echo.status, 0x0124);
    handlers.associationEvent?.({ kind: 'released', association });
    await new Promise((resolve) => setImmediate(resolve));
    const summary = events.find((event) => event.action === 'association');
    assert.ok(summary, 'an association event at release');
    assert.equal(summary.detail?.['ending'], 'released');
  });
});

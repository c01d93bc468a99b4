import { isIP } from 'node:net';
import { AUDIT_ACTIONS, type DicomCode } from '../actions.js';
import type { AuditAction } from '../events.js';
import type { AuditEventRecord } from '../record.js';
import { el, renderXml, type XmlElement } from './xml.js';

/**
 * DICOM PS3.15 A.5 audit messages (the `AuditMessage` schema of A.5.1, committed in schema/ and
 * validated in tests). One message per stored event:
 *
 * - EventIdentification: EventID / EventTypeCode / EventActionCode from AUDIT_ACTIONS (actions.ts),
 *   the event's time and outcome (A.5.1: 0, 4, 8, 12).
 * - ActiveParticipant: the actor (user, peer AE, component or unidentified caller) as requestor,
 *   with NetworkAccessPointID; and Kakutei itself (not requestor) unless the actor is Kakutei.
 *   Transfers carry RoleIDCode 110153 Source / 110152 Destination (A.5.3.3, A.5.3.5).
 * - AuditSourceIdentification: our AuditSourceID, type 4 (application server process).
 * - ParticipantObjectIdentification: each patient (type 1, role 1, ID type RFC-3881 "2" Patient
 *   Number), each study (type 2, role 3, ID type 110180 Study Instance UID; instance count in
 *   ParticipantObjectDescription/SOPClass@NumberOfInstances), a query's content (type 2, role 24),
 *   and the Kakutei audit event itself (seq, hash, break-glass and maintenance flags as
 *   ParticipantObjectDetail), which ties the ATNA copy to the hash chain.
 *
 * Patient names are never sent: ParticipantObjectName is required by the A.5.1 schema (name or
 * query), so an empty name is written; the Patient ID identifies the patient.
 */
export interface AuditMessageContext {
  /** AuditSourceID: typically our AE title or host name. */
  readonly auditSourceId: string;
  readonly auditEnterpriseSiteId?: string;
  /** UserID of Kakutei as a participant, e.g. the AE title. */
  readonly processUserId: string;
  /** Kakutei's AE title, for AlternativeUserID "AETITLES=…" (IHE ITI TF-2 3.20.6). */
  readonly aeTitle: string;
  /** Our host address or name, for NetworkAccessPointID. */
  readonly hostAddress?: string;
}

const DCM = 'DCM';

export function buildAuditMessage(event: AuditEventRecord, context: AuditMessageContext): string {
  return renderXml(
    el('AuditMessage', {}, [
      eventIdentification(event),
      ...activeParticipants(event, context),
      el('AuditSourceIdentification', { AuditEnterpriseSiteID: context.auditEnterpriseSiteId, AuditSourceID: context.auditSourceId }, [
        el('AuditSourceTypeCode', { 'csd-code': '4' }),
      ]),
      ...participantObjects(event),
    ]),
  );
}

function coded(name: string, code: DicomCode, codeSystemName = DCM): XmlElement {
  return el(name, { 'csd-code': code.code, codeSystemName, originalText: code.meaning });
}

function eventIdentification(event: AuditEventRecord): XmlElement {
  const mapping = AUDIT_ACTIONS[event.action];
  const reason = event.detail['reason'];
  return el(
    'EventIdentification',
    { EventActionCode: mapping.eventActionCode, EventDateTime: event.occurredAt, EventOutcomeIndicator: String(event.outcome) },
    [
      coded('EventID', mapping.eventId),
      ...(mapping.eventType === null ? [] : [coded('EventTypeCode', mapping.eventType)]),
      ...(typeof reason === 'string' && event.outcome !== 0 ? [el('EventOutcomeDescription', {}, [], reason)] : []),
    ],
  );
}

const SOURCE: DicomCode = { code: '110153', meaning: 'Source Role ID' };
const DESTINATION: DicomCode = { code: '110152', meaning: 'Destination Role ID' };
const APPLICATION: DicomCode = { code: '110150', meaning: 'Application' };

/** Which side each participant is on, for the actions that move instances. */
function transferRoles(action: AuditAction): { actor: DicomCode | null; process: DicomCode | null } {
  switch (action) {
    case 'store':
    case 'import':
      return { actor: SOURCE, process: DESTINATION };
    case 'retrieve':
    case 'export':
      return { actor: DESTINATION, process: SOURCE };
    case 'application-start':
    case 'application-stop':
      return { actor: APPLICATION, process: APPLICATION };
    default:
      return { actor: null, process: null };
  }
}

function networkAccessPoint(address: string | null | undefined): { NetworkAccessPointID?: string; NetworkAccessPointTypeCode?: string } {
  if (address === null || address === undefined || address === '') return {};
  return { NetworkAccessPointID: address, NetworkAccessPointTypeCode: isIP(address) === 0 ? '1' : '2' };
}

function activeParticipants(event: AuditEventRecord, context: AuditMessageContext): XmlElement[] {
  const roles = transferRoles(event.action);
  const roleCodes = (code: DicomCode | null) => (code === null ? [] : [coded('RoleIDCode', code)]);
  const actor = event.actor;
  const source = networkAccessPoint(event.source.address);
  let requestor: XmlElement;
  switch (actor.kind) {
    case 'user':
      requestor = el('ActiveParticipant', { UserID: actor.loginName, AlternativeUserID: actor.userId, UserName: actor.displayName, UserIsRequestor: 'true', ...source }, [
        ...roleCodes(roles.actor),
        ...actor.roles.map((role) => el('RoleIDCode', { 'csd-code': role, codeSystemName: '99KAKUTEI-ROLE', originalText: role })),
      ]);
      break;
    case 'peer':
      requestor = el('ActiveParticipant', { UserID: actor.aeTitle, AlternativeUserID: `AETITLES=${actor.aeTitle}`, UserName: actor.peerName ?? undefined, UserIsRequestor: 'true', ...source }, roleCodes(roles.actor));
      break;
    case 'system':
      requestor = el('ActiveParticipant', { UserID: actor.component, AlternativeUserID: `AETITLES=${context.aeTitle}`, UserIsRequestor: 'true', ...networkAccessPoint(context.hostAddress) }, roleCodes(roles.process));
      break;
    case 'anonymous':
      requestor = el('ActiveParticipant', { UserID: actor.attemptedLoginName ?? 'unknown', UserIsRequestor: 'true', ...source }, roleCodes(roles.actor));
      break;
  }
  if (actor.kind === 'system') return [requestor];
  const process = el(
    'ActiveParticipant',
    { UserID: context.processUserId, AlternativeUserID: `AETITLES=${context.aeTitle}`, UserIsRequestor: 'false', ...networkAccessPoint(context.hostAddress) },
    roleCodes(roles.process),
  );
  return [requestor, process];
}

const PATIENT_NUMBER: DicomCode = { code: '2', meaning: 'Patient Number' };
const STUDY_INSTANCE_UID: DicomCode = { code: '110180', meaning: 'Study Instance UID' };
const SOP_CLASS_UID: DicomCode = { code: '110181', meaning: 'SOP Class UID' };
const KAKUTEI_EVENT: DicomCode = { code: 'audit-event', meaning: 'Kakutei audit event' };

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const detail = (type: string, value: string) => el('ParticipantObjectDetail', { type, value: base64(value) });

function participantObjects(event: AuditEventRecord): XmlElement[] {
  const out: XmlElement[] = [];
  const patients = new Set<string>();
  const studies = new Map<string, { count: number; series: Set<string> }>();
  for (const object of event.objects) {
    if (object.patientId !== null) patients.add(object.patientId);
    if (object.studyInstanceUid !== null) {
      const study = studies.get(object.studyInstanceUid) ?? { count: 0, series: new Set<string>() };
      study.count += object.instanceCount ?? 0;
      for (const uid of object.seriesInstanceUids ?? []) study.series.add(uid);
      studies.set(object.studyInstanceUid, study);
    }
  }
  for (const patientId of patients) {
    out.push(
      el('ParticipantObjectIdentification', { ParticipantObjectID: patientId, ParticipantObjectTypeCode: '1', ParticipantObjectTypeCodeRole: '1' }, [
        coded('ParticipantObjectIDTypeCode', PATIENT_NUMBER, 'RFC-3881'),
        el('ParticipantObjectName'),
      ]),
    );
  }
  for (const [studyInstanceUid, study] of studies) {
    out.push(
      el('ParticipantObjectIdentification', { ParticipantObjectID: studyInstanceUid, ParticipantObjectTypeCode: '2', ParticipantObjectTypeCodeRole: '3' }, [
        coded('ParticipantObjectIDTypeCode', STUDY_INSTANCE_UID),
        el('ParticipantObjectName'),
        ...[...study.series].map((uid) => detail('SeriesInstanceUID', uid)),
        el('ParticipantObjectDescription', {}, [el('SOPClass', { NumberOfInstances: study.count })]),
      ]),
    );
  }
  const query = event.detail['query'];
  if (event.action === 'query' && typeof query === 'string') {
    const sopClass = event.detail['sopClassUid'];
    out.push(
      el('ParticipantObjectIdentification', { ParticipantObjectID: typeof sopClass === 'string' ? sopClass : 'query', ParticipantObjectTypeCode: '2', ParticipantObjectTypeCodeRole: '24' }, [
        coded('ParticipantObjectIDTypeCode', SOP_CLASS_UID),
        el('ParticipantObjectQuery', {}, [], base64(query)),
      ]),
    );
  }
  out.push(
    el('ParticipantObjectIdentification', { ParticipantObjectID: event.eventId, ParticipantObjectTypeCode: '2', ParticipantObjectTypeCodeRole: '13' }, [
      coded('ParticipantObjectIDTypeCode', KAKUTEI_EVENT, '99KAKUTEI'),
      el('ParticipantObjectName', {}, [], event.action),
      detail('seq', String(event.seq)),
      detail('hash', event.hash),
      detail('breakGlass', String(event.breakGlass)),
      ...(event.maintenanceSessionId === null ? [] : [detail('maintenanceSessionId', event.maintenanceSessionId)]),
    ]),
  );
  return out;
}

import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../clock/index.js';
import { AUDIT_ACTIONS } from './actions.js';
import type { AuditAction, AuditActor, AuditEventInput, AuditObject, AuditOutcome, AuditSource } from './events.js';

/**
 * An event as it is hashed and stored: the input, normalised (no `undefined`, empty optional parts
 * dropped), stamped with its id and time, and the DICOM codes it is reported under. `seq`, the
 * previous hash and the hash are added by the store, which alone knows the head of the chain.
 */
export interface AuditEventDraft {
  readonly eventId: string;
  /** ISO-8601 UTC with milliseconds, from the injected clock (ARCHITECTURE: one source of time). */
  readonly occurredAt: string;
  readonly action: AuditAction;
  readonly dicomEventId: string;
  readonly dicomEventTypeCode: string | null;
  readonly outcome: AuditOutcome;
  readonly actor: AuditActor;
  readonly source: AuditSource;
  readonly breakGlass: boolean;
  readonly maintenanceSessionId: string | null;
  readonly objects: readonly AuditObject[];
  readonly detail: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditEventRecord extends AuditEventDraft {
  readonly seq: number;
  /** Hex SHA-256 of the previous event; `GENESIS_HASH` for seq 1. */
  readonly prevHash: string;
  readonly hash: string;
}

/** The previous hash of the first event: 32 zero bytes. */
export const GENESIS_HASH = '0'.repeat(64);

export interface DraftOptions {
  readonly clock: Clock;
  readonly newEventId?: () => string;
}

/** Stamps and normalises an input. Throws (TypeError) on a value that cannot be hashed faithfully. */
export function draftOf(input: AuditEventInput, options: DraftOptions): AuditEventDraft {
  const mapping = AUDIT_ACTIONS[input.action];
  if (mapping === undefined) throw new TypeError(`unknown audit action ${String(input.action)}`);
  const detail: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(input.detail ?? {})) {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`audit detail ${key} is not a finite number`);
    detail[key] = value;
  }
  return {
    eventId: (options.newEventId ?? randomUUID)(),
    occurredAt: options.clock.now().toISOString(),
    action: input.action,
    dicomEventId: mapping.eventId.code,
    dicomEventTypeCode: mapping.eventType?.code ?? null,
    outcome: input.outcome,
    actor: normaliseActor(input.actor),
    source: { address: input.source.address, userAgent: input.source.userAgent },
    breakGlass: input.breakGlass,
    maintenanceSessionId: input.maintenanceSessionId ?? null,
    objects: input.objects.map(normaliseObject),
    detail,
  };
}

function normaliseActor(actor: AuditActor): AuditActor {
  switch (actor.kind) {
    case 'user':
      return { kind: 'user', userId: actor.userId, loginName: actor.loginName, displayName: actor.displayName, roles: [...actor.roles] };
    case 'peer':
      return { kind: 'peer', aeTitle: actor.aeTitle, peerName: actor.peerName };
    case 'system':
      return { kind: 'system', component: actor.component };
    case 'anonymous':
      return { kind: 'anonymous', attemptedLoginName: actor.attemptedLoginName };
  }
}

export function normaliseObject(object: AuditObject): AuditObject {
  const out: { patientId: string | null; studyInstanceUid: string | null; seriesInstanceUids?: readonly string[]; instanceCount?: number } = {
    patientId: object.patientId,
    studyInstanceUid: object.studyInstanceUid,
  };
  if (object.seriesInstanceUids !== undefined && object.seriesInstanceUids.length > 0) out.seriesInstanceUids = [...object.seriesInstanceUids];
  if (object.instanceCount !== undefined) out.instanceCount = object.instanceCount;
  return out;
}

/**
 * The canonical serialization the chain hashes (format `kakutei-audit-v1`):
 *
 *   canonical(event) = CJSON({ v: "kakutei-audit-v1", seq, eventId, occurredAt, action,
 *                              dicomEventId, dicomEventTypeCode, outcome, actor, source,
 *                              breakGlass, maintenanceSessionId, objects, detail })
 *   hash(event)      = lowercase hex SHA-256( bytes(prevHash) ‖ UTF-8(canonical(event)) )
 *
 * where bytes(prevHash) are the 32 raw bytes of the previous event's hash (32 zero bytes before
 * event 1), and CJSON is JSON with no whitespace, object keys sorted by UTF-16 code units at every
 * level, strings and numbers written as ECMAScript JSON.stringify writes them (for the values
 * stored here — strings, integers, booleans, null — this coincides with RFC 8785 JCS). `seq` is
 * inside the hash, so moving an event changes its hash; `prevHash` before it, so removing or
 * reordering one breaks every later link.
 */
export function canonicalSerialization(event: AuditEventDraft & { readonly seq: number }): string {
  return canonicalJson({
    v: 'kakutei-audit-v1',
    seq: event.seq,
    eventId: event.eventId,
    occurredAt: event.occurredAt,
    action: event.action,
    dicomEventId: event.dicomEventId,
    dicomEventTypeCode: event.dicomEventTypeCode,
    outcome: event.outcome,
    actor: event.actor,
    source: event.source,
    breakGlass: event.breakGlass,
    maintenanceSessionId: event.maintenanceSessionId,
    objects: event.objects,
    detail: event.detail,
  });
}

export function chainHash(prevHash: string, event: AuditEventDraft & { readonly seq: number }): string {
  if (!/^[0-9a-f]{64}$/.test(prevHash)) throw new TypeError('previous hash is not 64 lowercase hex digits');
  return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(canonicalSerialization(event), 'utf8').digest('hex');
}

/** JSON with sorted keys and no whitespace; `undefined` members are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in canonical JSON');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
}

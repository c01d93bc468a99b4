import type { AuditOutcome } from '../events.js';

/**
 * RFC 5424 syslog messages carrying audit XML (IHE ITI TF-2 3.20.6, "Record Audit Event"):
 *
 *   <PRI>1 TIMESTAMP HOSTNAME kakutei PROCID IHE+RFC-3881 - BOM<AuditMessage …/>
 *
 * PRI = facility × 8 + severity with facility 10 (security/authorization, "authpriv", RFC 5424
 * Table 1) and a severity from the outcome. Each message is framed for TCP/TLS by octet counting
 * (RFC 5425 §4.3, RFC 6587 §3.4.1): `MSG-LEN SP SYSLOG-MSG`, MSG-LEN the byte count in decimal.
 */
export const AUTHPRIV_FACILITY = 10;
export const APP_NAME = 'kakutei';
export const AUDIT_MSGID = 'IHE+RFC-3881';
/** Kakutei's signed checkpoints travel as messages of their own, with a JSON body. */
export const CHECKPOINT_MSGID = 'KAKUTEI-CKPT';

/** 0 success → notice (5); 4 minor failure → warning (4); 8 serious → error (3); 12 major → critical (2). */
export function severityOf(outcome: AuditOutcome): number {
  return outcome === 0 ? 5 : outcome === 4 ? 4 : outcome === 8 ? 3 : 2;
}

export interface SyslogFields {
  readonly severity: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly procId: string;
  readonly msgId: string;
  readonly message: string;
}

const BOM = '\uFEFF';

/** RFC 5424 §6: header fields are printable US-ASCII without spaces; "-" when empty. */
function headerField(text: string, maxLength: number): string {
  const cleaned = text.replace(/[^\x21-\x7e]/g, '').slice(0, maxLength);
  return cleaned === '' ? '-' : cleaned;
}

export function formatSyslog(fields: SyslogFields): Buffer {
  const pri = AUTHPRIV_FACILITY * 8 + fields.severity;
  const header = `<${pri}>1 ${fields.timestamp} ${headerField(fields.hostname, 255)} ${APP_NAME} ${headerField(fields.procId, 128)} ${headerField(fields.msgId, 32)} -`;
  return Buffer.from(`${header} ${BOM}${fields.message}`, 'utf8');
}

/** `MSG-LEN SP SYSLOG-MSG` (RFC 6587 §3.4.1). */
export function frameOctetCounted(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}

/**
 * Splits a buffer of octet-counted frames; returns the complete frames and the bytes they span.
 * A partial frame at the end (a write cut by a crash) is left for later or ignored.
 */
export function splitFrames(buffer: Buffer): { frames: Buffer[]; consumed: number } {
  const frames: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const space = buffer.indexOf(0x20, offset);
    if (space < 0 || space - offset > 10) break;
    const length = Number(buffer.subarray(offset, space).toString('ascii'));
    if (!Number.isSafeInteger(length) || length <= 0) break;
    const end = space + 1 + length;
    if (end > buffer.length) break;
    frames.push(buffer.subarray(offset, end));
    offset = end;
  }
  return { frames, consumed: offset };
}

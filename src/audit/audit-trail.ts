import type { Clock } from '../clock/index.js';
import type { ErrorCode } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { AuditEventInput, AuditSink } from './events.js';
import type { AuditEventStore } from './ports.js';
import { draftOf, type AuditEventRecord } from './record.js';

export interface AuditTrailOptions {
  readonly store: AuditEventStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called after each event committed through this trail (e.g. to wake the ATNA outbox). */
  readonly onAppended?: (record: AuditEventRecord) => void;
  readonly newEventId?: () => string;
}

export interface AuditHealth {
  readonly healthy: boolean;
  /** `AUDIT_UNAVAILABLE` after a failed write, until a later write succeeds; otherwise null. */
  readonly lastErrorCode: ErrorCode | null;
  /** ISO time of the last failure, or null. */
  readonly lastFailureAt: string | null;
}

/**
 * The trail for accesses that change nothing (views, queries, retrievals, logins and their
 * failures): each event commits in its own transaction. `record` rejects when the event cannot be
 * written, so the caller refuses the access it was about to grant (issue 3: an access that cannot
 * be audited is refused); the trail then reports unhealthy for /healthz until a write succeeds.
 * Changes do not come through here: they append inside their own transaction (audit-store.ts).
 */
export class AuditTrail implements AuditSink {
  private lastFailureAt: string | null = null;

  constructor(private readonly options: AuditTrailOptions) {}

  async record(input: AuditEventInput): Promise<AuditEventRecord> {
    const { clock, logger, store } = this.options;
    const draft = draftOf(input, this.options.newEventId === undefined ? { clock } : { clock, newEventId: this.options.newEventId });
    let record: AuditEventRecord;
    try {
      record = await store.append(draft);
    } catch (cause) {
      const firstFailure = this.lastFailureAt === null;
      this.lastFailureAt = clock.now().toISOString();
      // The cause may name a SQL statement, never patient data: events carry IDs only.
      logger.error({ event: 'audit-write-failed', action: input.action, err: cause, firstFailure }, 'an audit event could not be recorded; the access is refused');
      throw new AuditUnavailableError(cause);
    }
    if (this.lastFailureAt !== null) {
      logger.info({ event: 'audit-write-recovered', seq: record.seq }, 'the audit trail records again');
      this.lastFailureAt = null;
    }
    this.options.onAppended?.(record);
    return record;
  }

  /** `AuditSink`: the same as `record`, for code that only needs to append. */
  async append(event: AuditEventInput): Promise<void> {
    await this.record(event);
  }

  healthy(): boolean {
    return this.lastFailureAt === null;
  }

  lastErrorCode(): ErrorCode | null {
    return this.lastFailureAt === null ? null : 'AUDIT_UNAVAILABLE';
  }

  health(): AuditHealth {
    return { healthy: this.healthy(), lastErrorCode: this.lastErrorCode(), lastFailureAt: this.lastFailureAt };
  }
}

/** Thrown by `AuditTrail.record`: the edge maps `kakutei.code` to 503 / A700 and refuses the access. */
export class AuditUnavailableError extends Error {
  readonly kakutei = { code: 'AUDIT_UNAVAILABLE' as const };

  constructor(cause: unknown) {
    super('AUDIT_UNAVAILABLE: the audit event could not be written', { cause });
    this.name = 'AuditUnavailableError';
  }
}

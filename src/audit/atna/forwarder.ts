import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../clock/index.js';
import type { Logger } from '../../log/index.js';
import type { Checkpoint } from '../checkpoint.js';
import type { AuditEventStore } from '../ports.js';
import type { AuditEventRecord } from '../record.js';
import { buildAuditMessage, type AuditMessageContext } from './audit-message.js';
import { SyslogConnection, type AtnaDestination } from './sender.js';
import { AtnaSpool } from './spool.js';
import { AUDIT_MSGID, CHECKPOINT_MSGID, formatSyslog, frameOctetCounted, severityOf, splitFrames } from './syslog.js';

export interface AtnaForwarderOptions {
  readonly dataDir: string;
  readonly events: Pick<AuditEventStore, 'readFrom'>;
  readonly destination: AtnaDestination;
  readonly context: AuditMessageContext;
  readonly clock: Clock;
  readonly logger: Logger;
  /** HOSTNAME of the syslog header (default os.hostname()). */
  readonly hostname?: string;
  readonly pollIntervalMs?: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly maxSpoolBytes?: number;
  readonly connectTimeoutMs?: number;
}

const BATCH_EVENTS = 200;
const SEND_CHUNK_BYTES = 1024 * 1024;

/**
 * Sends every audit event to the ATNA repository, after commit, without ever losing one.
 *
 * Outbox design: the `audit_events` table itself is the outbox, and this forwarder tails it from
 * its own cursor (`spooledSeq` in the spool directory), rather than the store keeping an
 * `atna_sent_seq` column or table: the audit tables stay strictly append-only (no row is ever
 * updated, which the triggers enforce), events appended inside any transaction — the trail's or a
 * change's — are picked up alike, and an event committed just before a crash is simply read again
 * at the next start, because the cursor only moves after the spool holds the event durably.
 * Events are then sent from the spool, in order, with retries and backoff while the repository
 * is unreachable.
 */
export class AtnaForwarder {
  private readonly spool: AtnaSpool;
  private readonly connection: SyslogConnection;
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> = Promise.resolve();
  private backoffMs: number;
  private retryAt = 0;
  private unreachableLogged = false;
  private stopped = false;

  constructor(private readonly options: AtnaForwarderOptions) {
    this.spool = new AtnaSpool(join(options.dataDir, 'audit', 'atna-spool'), options.maxSpoolBytes ?? 256 * 1024 * 1024, options.logger);
    this.connection = new SyslogConnection(options.destination, options.connectTimeoutMs ?? 5000);
    this.backoffMs = options.minBackoffMs ?? 1000;
  }

  async start(): Promise<void> {
    await this.spool.open();
    this.timer = setInterval(() => this.wake(), this.options.pollIntervalMs ?? 1000);
    this.timer.unref();
    this.wake();
  }

  /** Spool new events and send what is pending, soon (e.g. after each append). */
  wake(): void {
    void this.pump().catch(() => undefined);
  }

  /** One full pass now: new events into the spool, then the spool to the repository. */
  pump(): Promise<void> {
    this.pumping = this.pumping.then(() => this.pass());
    return this.pumping;
  }

  /** Queues a signed checkpoint as a syslog message of its own (a copy of the head outside this machine). */
  async emitCheckpoint(checkpoint: Checkpoint): Promise<void> {
    const frame = frameOctetCounted(
      formatSyslog({ severity: 5, timestamp: this.options.clock.now().toISOString(), hostname: this.hostname(), procId: String(process.pid), msgId: CHECKPOINT_MSGID, message: JSON.stringify(checkpoint) }),
    );
    this.pumping = this.pumping.then(async () => void (await this.spool.append([frame], null)));
    await this.pumping;
    this.wake();
  }

  async pendingBytes(): Promise<number> {
    await this.pumping;
    return this.spool.pendingBytes();
  }

  /** Stops the timer after a last pass; what is unsent stays in the spool for the next start. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.retryAt = 0;
    await this.pump().catch(() => undefined);
    this.stopped = true;
    this.connection.close();
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    await this.spoolNewEvents();
    await this.sendPending();
  }

  private async spoolNewEvents(): Promise<void> {
    for (;;) {
      const events = await this.options.events.readFrom(this.spool.spooledSeq + 1, BATCH_EVENTS);
      if (events.length === 0) return;
      const frames = events.map((event) => this.frameOf(event));
      if (!(await this.spool.append(frames, (events[events.length - 1] as AuditEventRecord).seq))) return;
    }
  }

  private async sendPending(): Promise<void> {
    if (Date.now() < this.retryAt) return;
    for (;;) {
      const { offset, bytes } = await this.spool.unsent(SEND_CHUNK_BYTES);
      const { consumed } = splitFrames(bytes);
      if (consumed === 0) return;
      try {
        await this.connection.write(bytes.subarray(0, consumed));
      } catch (cause) {
        this.connection.close();
        this.retryAt = Date.now() + this.backoffMs;
        this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 60_000);
        if (!this.unreachableLogged) {
          this.options.logger.warn({ event: 'atna-unreachable', host: this.options.destination.host, port: this.options.destination.port, err: cause }, 'the audit repository is unreachable; audit messages are spooled on disk');
          this.unreachableLogged = true;
        }
        return;
      }
      await this.spool.markSent(offset + consumed);
      if (this.unreachableLogged) this.options.logger.info({ event: 'atna-reachable' }, 'the audit repository is reachable again; the spool is being sent');
      this.unreachableLogged = false;
      this.backoffMs = this.options.minBackoffMs ?? 1000;
    }
  }

  private frameOf(event: AuditEventRecord): Buffer {
    return frameOctetCounted(
      formatSyslog({
        severity: severityOf(event.outcome),
        timestamp: event.occurredAt,
        hostname: this.hostname(),
        procId: String(process.pid),
        msgId: AUDIT_MSGID,
        message: buildAuditMessage(event, this.options.context),
      }),
    );
  }

  private hostname(): string {
    return this.options.hostname ?? hostname();
  }
}

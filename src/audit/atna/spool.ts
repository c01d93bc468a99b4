import { open, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log/index.js';
import { appendDurably, makeDirectoryDurably } from '../../storage/index.js';

/**
 * The on-disk buffer of ATNA messages (`<dataDir>/audit/atna-spool/`), surviving restarts:
 *
 *   spool.log      octet-counted syslog frames, exactly as sent on the wire, append-only
 *   cursor.json    {"spooledSeq": last audit seq spooled, "sentOffset": bytes of spool.log sent}
 *
 * Appends fsync the spool before the cursor moves; the cursor is replaced atomically (write,
 * fsync, rename). Once everything is sent the spool is emptied. Bounded: an append that would
 * pass `maxBytes` is refused with one clear log line; nothing is lost, because the events stay in
 * the database and are spooled once the repository drains the spool (see outbox.ts).
 */
export interface SpoolCursor {
  readonly spooledSeq: number;
  readonly sentOffset: number;
}

export class AtnaSpool {
  private readonly spoolPath: string;
  private readonly cursorPath: string;
  private cursor: SpoolCursor = { spooledSeq: 0, sentOffset: 0 };
  private fullLogged = false;

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly logger: Logger,
  ) {
    this.spoolPath = join(dir, 'spool.log');
    this.cursorPath = join(dir, 'cursor.json');
  }

  async open(): Promise<SpoolCursor> {
    await makeDirectoryDurably(this.dir, 0o700);
    try {
      const value = JSON.parse(await readFile(this.cursorPath, 'utf8')) as Partial<SpoolCursor>;
      this.cursor = { spooledSeq: Number(value.spooledSeq ?? 0), sentOffset: Number(value.sentOffset ?? 0) };
    } catch {
      this.cursor = { spooledSeq: 0, sentOffset: 0 };
    }
    // A crash between emptying the spool and saving the cursor leaves the offset past the end:
    // everything before it was sent.
    if (this.cursor.sentOffset > (await this.size())) await this.saveCursor({ ...this.cursor, sentOffset: 0 });
    return this.cursor;
  }

  get spooledSeq(): number {
    return this.cursor.spooledSeq;
  }

  /** Appends frames; `uptoSeq` (when given) is the last audit event they include. False when full. */
  async append(frames: readonly Buffer[], uptoSeq: number | null): Promise<boolean> {
    const bytes = Buffer.concat(frames);
    const size = await this.size();
    if (size - this.cursor.sentOffset + bytes.length > this.maxBytes) {
      if (!this.fullLogged) {
        this.logger.error({ event: 'atna-spool-full', maxBytes: this.maxBytes, spooledSeq: this.cursor.spooledSeq }, 'the ATNA spool is full: audit messages wait in the database until the audit repository is reachable');
        this.fullLogged = true;
      }
      return false;
    }
    this.fullLogged = false;
    if (bytes.length > 0) await appendDurably(this.spoolPath, bytes);
    if (uptoSeq !== null) await this.saveCursor({ ...this.cursor, spooledSeq: uptoSeq });
    return true;
  }

  /** Unsent bytes (whole frames and possibly a partial tail), from the send cursor. */
  async unsent(maxBytes: number): Promise<{ offset: number; bytes: Buffer }> {
    const offset = this.cursor.sentOffset;
    const handle = await open(this.spoolPath, 'r').catch(() => null);
    if (handle === null) return { offset, bytes: Buffer.alloc(0) };
    try {
      const buffer = Buffer.alloc(maxBytes);
      const { bytesRead } = await handle.read(buffer, 0, maxBytes, offset);
      return { offset, bytes: buffer.subarray(0, bytesRead) };
    } finally {
      await handle.close();
    }
  }

  async markSent(newOffset: number): Promise<void> {
    if (newOffset >= (await this.size())) {
      // All sent: empty the spool, then reset the offset (open() repairs a crash in between).
      await truncate(this.spoolPath, 0).catch(() => undefined);
      await this.saveCursor({ ...this.cursor, sentOffset: 0 });
    } else {
      await this.saveCursor({ ...this.cursor, sentOffset: newOffset });
    }
  }

  async pendingBytes(): Promise<number> {
    return (await this.size()) - this.cursor.sentOffset;
  }

  private async size(): Promise<number> {
    return stat(this.spoolPath).then(
      (s) => s.size,
      () => 0,
    );
  }

  private async saveCursor(cursor: SpoolCursor): Promise<void> {
    const temp = `${this.cursorPath}.tmp`;
    await writeFile(temp, JSON.stringify(cursor), { mode: 0o600 });
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.cursorPath);
    this.cursor = cursor;
  }
}

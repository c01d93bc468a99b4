import { open, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log/index.js';
import { appendDurably, makeDirectoryDurably } from '../../storage/index.js';
import { splitFrames } from './syslog.js';

/** How much of the spool is read at a time when it is checked at open (frames are far smaller). */
const REPAIR_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The on-disk buffer of ATNA messages (`<dataDir>/audit/atna-spool/`), surviving restarts:
 *
 *   spool.log      octet-counted syslog frames, exactly as sent on the wire, append-only
 *   cursor.json    {"spooledSeq": last audit seq spooled, "sentOffset": bytes of spool.log sent}
 *
 * Appends fsync the spool before the cursor moves (a partial frame a crash leaves at the end is
 * cut off at the next open); the cursor is replaced atomically (write, fsync, rename). Once
 * everything is sent the spool is emptied. Bounded: an append that would pass `maxBytes` is
 * refused with one clear log line; nothing is lost, because the events stay in the database and
 * are spooled once the repository drains the spool (see outbox.ts).
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
    await this.dropTornTail();
    return this.cursor;
  }

  /**
   * An append cut short by a crash leaves a partial frame at the end. Appends after it would make
   * its declared length swallow the start of the next frame, and sending would stop for good at
   * the misaligned bytes. Its events were not counted as spooled (the cursor moves only after a
   * whole append is durable), so they are spooled again: the partial frame is cut off.
   */
  private async dropTornTail(): Promise<void> {
    const size = await this.size();
    let position = this.cursor.sentOffset;
    while (position < size) {
      const { bytes } = await this.read(position, REPAIR_CHUNK_BYTES);
      const { consumed } = splitFrames(bytes);
      position += consumed;
      // A chunk that ends before the file does may only have cut a long frame: read on from it.
      if (consumed === 0 && position + bytes.length < size) return;
      if (consumed === 0) break;
    }
    if (position >= size) return;
    await truncate(this.spoolPath, position);
    const handle = await open(this.spoolPath, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.logger.warn({ event: 'atna-spool-repaired', droppedBytes: size - position }, 'a partial frame at the end of the ATNA spool (a write cut by a crash) was removed; its events are spooled again');
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
    return this.read(this.cursor.sentOffset, maxBytes);
  }

  private async read(offset: number, maxBytes: number): Promise<{ offset: number; bytes: Buffer }> {
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

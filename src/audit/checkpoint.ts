import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock/index.js';
import type { Logger } from '../log/index.js';
import { appendDurably } from '../storage/index.js';
import type { ChainHead } from './ports.js';
import type { SigningKey, VerifyingKey } from './signing-key.js';

/**
 * A signed statement of the chain's head, written outside the database so that rewriting the
 * chain or cutting its tail is detected (issue 3 §6). One JSON line per checkpoint in
 * `<dataDir>/audit/checkpoints.jsonl`:
 *
 *   {"seq":41,"hash":"<64 hex>","time":"2024-05-01T09:30:00.000Z","keyId":"<16 hex>","signature":"<base64>"}
 *
 * The signature is Ed25519 over the UTF-8 bytes of
 * `kakutei-audit-checkpoint-v1\n<seq>\n<hash>\n<time>\n<keyId>`.
 */
export interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
  readonly time: string;
  readonly keyId: string;
  readonly signature: string;
}

export function checkpointsPath(dataDir: string): string {
  return join(dataDir, 'audit', 'checkpoints.jsonl');
}

export function checkpointMessage(fields: Omit<Checkpoint, 'signature'>): Uint8Array {
  return Buffer.from(`kakutei-audit-checkpoint-v1\n${fields.seq}\n${fields.hash}\n${fields.time}\n${fields.keyId}`, 'utf8');
}

export function signCheckpoint(head: ChainHead, time: string, key: SigningKey): Checkpoint {
  const fields = { seq: head.seq, hash: head.hash, time, keyId: key.keyId };
  return { ...fields, signature: key.sign(checkpointMessage(fields)) };
}

export interface ParsedCheckpoints {
  /** Checkpoints whose signature holds under the verifying key. */
  readonly valid: Checkpoint[];
  /** One line per unusable line (unparseable, unknown key, bad signature). */
  readonly problems: string[];
}

/** One line of a checkpoint file: the checkpoint if its signature holds, the problem if not, null for an empty line. */
export function checkCheckpointLine(line: string, where: string, key: VerifyingKey): Checkpoint | string | null {
  if (line.trim() === '') return null;
  const checkpoint = checkpointOf(line);
  if (checkpoint === null) return `${where} unreadable`;
  if (checkpoint.keyId !== key.keyId) return `${where} signed by unknown key ${checkpoint.keyId}`;
  if (!key.verify(checkpointMessage(checkpoint), checkpoint.signature)) return `${where} (event ${checkpoint.seq}) has an invalid signature`;
  return checkpoint;
}

export function parseCheckpoints(text: string, key: VerifyingKey, label: string): ParsedCheckpoints {
  const valid: Checkpoint[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    const outcome = checkCheckpointLine(line, `checkpoint ${label}:${index + 1}`, key);
    if (typeof outcome === 'string') problems.push(outcome);
    else if (outcome !== null) valid.push(outcome);
  });
  return { valid, problems };
}

function checkpointOf(line: string): Checkpoint | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { seq, hash, time, keyId, signature } = value as Record<string, unknown>;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return null;
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) return null;
  if (typeof time !== 'string' || typeof keyId !== 'string' || typeof signature !== 'string') return null;
  return { seq, hash, time, keyId, signature };
}

export interface CheckpointerOptions {
  readonly dataDir: string;
  readonly head: () => Promise<ChainHead | null>;
  readonly key: SigningKey;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs: number;
  /** Also hands each checkpoint on (e.g. to the ATNA stream, a copy outside this machine). */
  readonly onCheckpoint?: (checkpoint: Checkpoint) => Promise<void> | void;
}

/**
 * Writes a checkpoint every `intervalMs` and on `stop()`, only when the head moved since the last
 * one (the last line of the file, so a restart does not repeat it).
 */
export class Checkpointer {
  private timer: NodeJS.Timeout | null = null;
  private lastSeq: number | null = null;
  /** The file ends in a line torn by a crash: the next checkpoint starts with a newline, to keep a line of its own. */
  private afterTornLine = false;
  private running: Promise<Checkpoint | null> = Promise.resolve(null);

  constructor(private readonly options: CheckpointerOptions) {}

  async start(): Promise<void> {
    const last = await lastCheckpoint(checkpointsPath(this.options.dataDir));
    this.lastSeq = last.seq;
    this.afterTornLine = last.afterTornLine;
    this.timer = setInterval(() => void this.checkpointNow().catch(() => undefined), this.options.intervalMs);
    this.timer.unref();
  }

  /** Writes a checkpoint now if the head moved; resolves with it, or null. Calls never overlap. */
  checkpointNow(): Promise<Checkpoint | null> {
    this.running = this.running.catch(() => null).then(() => this.writeIfMoved());
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.checkpointNow().catch(() => undefined);
  }

  private async writeIfMoved(): Promise<Checkpoint | null> {
    const { clock, logger, key } = this.options;
    try {
      const head = await this.options.head();
      if (head === null || head.seq === this.lastSeq) return null;
      const checkpoint = signCheckpoint(head, clock.now().toISOString(), key);
      await appendDurably(checkpointsPath(this.options.dataDir), `${this.afterTornLine ? '\n' : ''}${JSON.stringify(checkpoint)}\n`);
      this.afterTornLine = false;
      this.lastSeq = head.seq;
      logger.info({ event: 'audit-checkpoint', seq: checkpoint.seq, hash: checkpoint.hash, keyId: checkpoint.keyId }, 'audit checkpoint written');
      await this.options.onCheckpoint?.(checkpoint);
      return checkpoint;
    } catch (cause) {
      logger.error({ event: 'audit-checkpoint-failed', err: cause }, 'the audit checkpoint could not be written');
      throw cause;
    }
  }
}

/**
 * A checkpoint line is a few hundred bytes; the end of the file holds the last one whole. Only the
 * end is read: at the default interval a busy year adds ≈ 500 000 lines, and the whole file would
 * be read at every start.
 */
const LAST_LINE_WINDOW_BYTES = 64 * 1024;

/** The last checkpoint's sequence number (null if none or unreadable), and whether the file ends in a torn line. */
async function lastCheckpoint(path: string): Promise<{ readonly seq: number | null; readonly afterTornLine: boolean }> {
  const text = await readTail(path, LAST_LINE_WINDOW_BYTES);
  const afterTornLine = text !== '' && !text.endsWith('\n');
  // The window's first line may be cut (unless it starts the file); the last non-empty one is whole or torn.
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const last = lines[lines.length - 1];
  if (last === undefined) return { seq: null, afterTornLine };
  try {
    const seq = (JSON.parse(last) as { seq?: unknown }).seq;
    return { seq: typeof seq === 'number' ? seq : null, afterTornLine };
  } catch {
    return { seq: null, afterTornLine };
  }
}

/** The last `bytes` of a file as UTF-8 text ('' when it is missing). */
async function readTail(path: string, bytes: number): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw cause;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * A small pool of decode workers (`worker_threads`) with limits, so that a hostile or broken frame
 * costs one worker, never the server: each worker runs under V8 heap limits (`resourceLimits`), each
 * frame under a time limit (the worker is terminated and replaced when it overruns), the queue is
 * bounded (DECODE_BUSY beyond it), and no frame is decoded whose output would exceed
 * `maxOutputBytes`. WASM memory is outside V8's heap limits: it is bounded by the codestream size
 * check before decoding (`codestream-header.ts`) and freed with the worker.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { err, kakuteiError, ok, type ErrorCode, type Result } from '../errors/index.js';
import type { DecodedFrame, DecodeRequest } from './decode-frame.js';
import type { PixelModule } from './pixel-module.js';
import type { WorkerJob, WorkerReply } from './decode-worker.js';

export interface DecodePoolOptions {
  readonly workers?: number;
  /** Frames waiting beyond the ones being decoded. */
  readonly maxQueue?: number;
  readonly timeLimitMs?: number;
  /** V8 old-generation heap of each worker. */
  readonly maxHeapMb?: number;
  readonly maxOutputBytes?: number;
  /** Worker script; tests substitute a hostile one. */
  readonly workerUrl?: URL;
}

export interface DecodePoolStats {
  readonly workersStarted: number;
  readonly workersReplaced: number;
  readonly queued: number;
}

interface Job {
  readonly id: number;
  readonly request: DecodeRequest;
  readonly resolve: (result: Result<DecodedFrame>) => void;
}

interface Slot {
  worker: Worker | null;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

const KNOWN_CODES = new Set<string>(['DECODE_UNSUPPORTED', 'DECODE_FAILED', 'PIXEL_DATA_INVALID']);

export class DecodePool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private started = 0;
  private replaced = 0;
  private closed = false;
  private readonly workerUrl: URL;
  private readonly timeLimitMs: number;
  private readonly maxQueue: number;
  private readonly maxHeapMb: number;
  private readonly maxOutputBytes: number;

  constructor(options: DecodePoolOptions = {}) {
    this.slots = Array.from({ length: Math.max(1, options.workers ?? 2) }, () => ({ worker: null, job: null, timer: null }));
    this.workerUrl = options.workerUrl ?? new URL('./decode-worker.js', import.meta.url);
    this.timeLimitMs = options.timeLimitMs ?? 10_000;
    this.maxQueue = options.maxQueue ?? 32;
    this.maxHeapMb = options.maxHeapMb ?? 256;
    this.maxOutputBytes = options.maxOutputBytes ?? 256 * 1024 * 1024;
  }

  stats(): DecodePoolStats {
    return { workersStarted: this.started, workersReplaced: this.replaced, queued: this.queue.length };
  }

  /** Decodes one frame; every failure is a value with a code. */
  decode(request: DecodeRequest): Promise<Result<DecodedFrame>> {
    if (this.closed) return Promise.resolve(err(kakuteiError('DECODE_BUSY', 'the decode pool is closed')));
    const outputBytes = request.rows * request.columns * request.samplesPerPixel * Math.max(1, Math.ceil(request.bitsAllocated / 8));
    if (!Number.isSafeInteger(outputBytes) || outputBytes > this.maxOutputBytes) {
      return Promise.resolve(err(kakuteiError('DECODE_LIMIT_EXCEEDED', 'the decoded frame would exceed its size limit')));
    }
    if (this.queue.length >= this.maxQueue) return Promise.resolve(err(kakuteiError('DECODE_BUSY')));
    return new Promise((resolve) => {
      // A private copy, transferred to the worker: the caller's buffer stays usable.
      const bytes = Uint8Array.from(request.bytes);
      this.queue.push({ id: this.nextId++, request: { ...request, bytes }, resolve });
      this.dispatch();
    });
  }

  private spawn(slot: Slot): Worker {
    const worker = new Worker(this.workerUrl, {
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    });
    this.started++;
    worker.on('message', (reply: WorkerReply) => {
      if (slot.worker !== worker || slot.job?.id !== reply.id) return;
      const job = this.finish(slot);
      if (reply.ok) job.resolve(ok(reply.frame));
      else job.resolve(err(kakuteiError(KNOWN_CODES.has(reply.code) ? (reply.code as ErrorCode) : 'DECODE_FAILED', reply.detail)));
      this.dispatch();
    });
    const lost = (code: ErrorCode, detail: string) => {
      if (slot.worker !== worker) return;
      this.retire(slot, code, detail);
    };
    worker.on('error', (error: Error & { code?: string }) => {
      lost(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'DECODE_LIMIT_EXCEEDED' : 'DECODE_FAILED', 'the decode worker failed');
    });
    worker.on('exit', () => lost('DECODE_FAILED', 'the decode worker exited'));
    return worker;
  }

  private finish(slot: Slot): Job {
    const job = slot.job!;
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    return job;
  }

  /** Ends a worker that failed or overran; its frame gets `code`; a fresh worker takes its place. */
  private retire(slot: Slot, code: ErrorCode, detail: string): void {
    const worker = slot.worker;
    slot.worker = null;
    if (slot.job !== null) this.finish(slot).resolve(err(kakuteiError(code, detail)));
    if (worker !== null) {
      this.replaced++;
      void worker.terminate();
    }
    this.dispatch();
  }

  private dispatch(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (slot.job !== null) continue;
      const job = this.queue.shift();
      if (job === undefined) return;
      slot.worker ??= this.spawn(slot);
      slot.job = job;
      slot.timer = setTimeout(() => this.retire(slot, 'DECODE_LIMIT_EXCEEDED', 'the frame took longer than its time limit'), this.timeLimitMs);
      const message: WorkerJob = { id: job.id, request: job.request };
      slot.worker.postMessage(message, [job.request.bytes.buffer as ArrayBuffer]);
    }
  }

  /** Stops every worker; waiting frames get DECODE_BUSY. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(err(kakuteiError('DECODE_BUSY', 'the decode pool is closed')));
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker;
        slot.worker = null;
        if (slot.job !== null) this.finish(slot).resolve(err(kakuteiError('DECODE_BUSY', 'the decode pool is closed')));
        if (worker !== null) await worker.terminate();
      }),
    );
  }
}

/** The decode request for one frame of an object whose pixel module is `pixel`. */
export function decodeRequestOf(pixel: PixelModule, transferSyntaxUid: string, bytes: Uint8Array, bitOffset = 0): DecodeRequest {
  return {
    transferSyntaxUid,
    rows: pixel.rows,
    columns: pixel.columns,
    samplesPerPixel: pixel.samplesPerPixel,
    bitsAllocated: pixel.bitsAllocated,
    bitsStored: pixel.bitsStored,
    pixelRepresentation: pixel.pixelRepresentation,
    photometricInterpretation: pixel.photometricInterpretation,
    planarConfiguration: pixel.planarConfiguration,
    bitOffset,
    bytes,
  };
}

const BUSY_RETRIES = 10;
const BUSY_RETRY_DELAY_MS = 100;

/**
 * Runs a decode, waiting out a full pool queue (DECODE_BUSY) a few times with a growing delay: for
 * frames needed mid-response, where a failure can only cut the stream (or abort a C-MOVE
 * association, PS3.8 §7.3). A request that can still be answered with 503 should not wait.
 */
export async function waitingOutBusy<T>(decode: () => Promise<Result<T>>): Promise<Result<T>> {
  for (let attempt = 1; ; attempt++) {
    const decoded = await decode();
    if (decoded.ok || decoded.error.code !== 'DECODE_BUSY' || attempt >= BUSY_RETRIES) return decoded;
    await delay(BUSY_RETRY_DELAY_MS * attempt);
  }
}

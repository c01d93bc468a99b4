/**
 * Decode worker entry (`worker_threads`): one frame per message. Runs under the pool's heap limits
 * and time limit; the pool terminates and replaces it when it overruns or dies.
 */
import { parentPort } from 'node:worker_threads';
import { CodecSet, DecodeError, decodeFrame, type DecodedFrame, type DecodeRequest } from './decode-frame.js';

export interface WorkerJob {
  readonly id: number;
  readonly request: DecodeRequest;
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly frame: DecodedFrame }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly detail: string };

const port = parentPort;
if (port !== null) {
  const codecs = new CodecSet();
  port.on('message', (job: WorkerJob) => {
    decodeFrame(job.request, codecs).then(
      (frame) => {
        const reply: WorkerReply = { id: job.id, ok: true, frame };
        port.postMessage(reply, [frame.pixels.buffer as ArrayBuffer]);
      },
      (error: unknown) => {
        const reply: WorkerReply =
          error instanceof DecodeError
            ? { id: job.id, ok: false, code: error.code, detail: error.message }
            : { id: job.id, ok: false, code: 'DECODE_FAILED', detail: 'the decoder failed' };
        port.postMessage(reply);
      },
    );
  });
}

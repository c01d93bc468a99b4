import { createInflateRaw } from 'node:zlib';
import type { InflateRaw } from 'node:zlib';
import type { KakuteiError } from '../errors/index.js';
import { kakuteiError } from '../errors/index.js';

/**
 * Deflated Explicit VR Little Endian (PS3.5 A.5) arrives compressed; a few hundred kilobytes can
 * inflate to gigabytes (BAD-INPUTS: decompression bombs). The stored bytes stay compressed, but
 * whoever reads the object later inflates them, so the whole stream is inflated once here, as it
 * arrives, counting (not keeping) the output and refusing it past `maxInflatedBytes`.
 */
export class InflateGuard {
  private readonly inflater: InflateRaw;
  private inflatedBytes = 0;
  private failure: KakuteiError | null = null;
  private readonly finished: Promise<void>;

  constructor(private readonly maxInflatedBytes: number) {
    this.inflater = createInflateRaw();
    this.inflater.on('data', (chunk: Buffer) => {
      this.inflatedBytes += chunk.length;
      if (this.inflatedBytes > this.maxInflatedBytes && this.failure === null) {
        this.failure = kakuteiError('DECOMPRESSION_BOMB', `inflates beyond ${this.maxInflatedBytes} bytes`);
        this.inflater.destroy();
      }
    });
    this.finished = new Promise<void>((resolve) => {
      this.inflater.once('end', resolve);
      this.inflater.once('close', resolve);
      this.inflater.once('error', () => {
        this.failure ??= kakuteiError('DATASET_UNPARSEABLE', 'the deflated stream is corrupt');
        resolve();
      });
    });
  }

  /** Feeds compressed bytes; resolves when the inflater can take more. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure !== null || this.inflater.destroyed) return;
    if (!this.inflater.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.inflater.off('drain', done);
          this.inflater.off('close', done);
          resolve();
        };
        this.inflater.once('drain', done);
        this.inflater.once('close', done);
      });
    }
  }

  /** After the last chunk: null when the stream inflated completely within the limit. */
  async end(): Promise<KakuteiError | null> {
    if (!this.inflater.destroyed) this.inflater.end();
    await this.finished;
    return this.failure;
  }

  dispose(): void {
    this.inflater.destroy();
  }
}

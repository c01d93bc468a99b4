import type { Clock } from '../clock/index.js';
import type { ObjectStore } from '../storage/index.js';

/**
 * Refuses new objects before the disk is full (issue 2: A700 at a configurable watermark). Asking
 * the filesystem for every object would add a syscall to the hot path, so the figure is refreshed
 * at most every `refreshMs` and decreased by what we write in between.
 */
export class FreeSpaceGuard {
  private knownFreeBytes = Number.POSITIVE_INFINITY;
  private checkedAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: ObjectStore,
    private readonly watermarkBytes: number,
    private readonly clock: Clock,
    private readonly refreshMs = 1000,
  ) {}

  async hasRoom(): Promise<boolean> {
    if (this.watermarkBytes === 0) return true;
    const nowMs = this.clock.now().getTime();
    if (nowMs - this.checkedAtMs >= this.refreshMs || this.knownFreeBytes < this.watermarkBytes * 2) {
      this.knownFreeBytes = await this.store.freeBytes();
      this.checkedAtMs = nowMs;
    }
    return this.knownFreeBytes > this.watermarkBytes;
  }

  consumed(bytes: number): void {
    this.knownFreeBytes -= bytes;
  }
}

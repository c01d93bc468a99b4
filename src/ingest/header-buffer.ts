/**
 * Keeps the first bytes of a dataset as they stream in, so its header can be read without going
 * back to disk. Only a bounded prefix is kept: a 1 GB multi-frame object costs `capacityBytes`.
 */
export class HeaderBuffer {
  private buffer: Buffer | null = null;
  private length = 0;
  private truncated = false;

  constructor(private readonly capacityBytes: number) {}

  append(chunk: Uint8Array): void {
    if (this.truncated) return;
    const room = this.capacityBytes - this.length;
    if (chunk.length > room) this.truncated = true;
    const take = Math.min(room, chunk.length);
    if (take === 0) return;
    this.ensure(this.length + take);
    (this.buffer as Buffer).set(take === chunk.length ? chunk : chunk.subarray(0, take), this.length);
    this.length += take;
  }

  /** The kept prefix; `complete` when it is the whole dataset. */
  view(): { readonly bytes: Uint8Array; readonly complete: boolean } {
    return { bytes: this.buffer === null ? new Uint8Array(0) : this.buffer.subarray(0, this.length), complete: !this.truncated };
  }

  private ensure(size: number): void {
    if (this.buffer !== null && this.buffer.length >= size) return;
    // Grow geometrically from 256 KiB so a typical CT header costs one or two allocations.
    let capacity = Math.max(256 * 1024, this.buffer?.length ?? 0);
    while (capacity < size) capacity *= 2;
    const next = Buffer.allocUnsafe(Math.min(capacity, this.capacityBytes));
    if (this.buffer !== null) this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}

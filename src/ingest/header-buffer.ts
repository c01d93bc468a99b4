/**
 * Keeps the first bytes of a dataset as they stream in, so its header can be read without going
 * back to disk. Only a bounded prefix is kept: a 1 GB multi-frame object costs `capacityBytes`.
 * Chunks are kept by reference and joined once, when the header is read: the network layer hands
 * over views of buffers it never reuses.
 */
export class HeaderBuffer {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  private truncated = false;

  constructor(private readonly capacityBytes: number) {}

  append(chunk: Uint8Array): void {
    if (this.truncated) return;
    const room = this.capacityBytes - this.length;
    if (chunk.length > room) this.truncated = true;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length === 0) return;
    this.chunks.push(kept);
    this.length += kept.length;
  }

  get keptBytes(): number {
    return this.length;
  }

  /**
   * At least `minBytes` of the kept prefix (or all of it), contiguous; `complete` when it is the
   * whole dataset. Joins chunks only when the first ones are too short.
   */
  prefix(minBytes: number): { readonly bytes: Uint8Array; readonly complete: boolean } {
    let joined = 0;
    let count = 0;
    while (count < this.chunks.length && joined < minBytes) joined += (this.chunks[count++] as Uint8Array).length;
    const complete = !this.truncated && count === this.chunks.length;
    if (count === 0) return { bytes: new Uint8Array(0), complete };
    if (count === 1) return { bytes: this.chunks[0] as Uint8Array, complete };
    const bytes = Buffer.concat(this.chunks.slice(0, count), joined);
    // Keep the joined prefix as one chunk so that a longer request does not join it again.
    this.chunks.splice(0, count, bytes);
    return { bytes, complete };
  }
}

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

  /** Bytes kept so far. */
  get keptBytes(): number {
    return this.length;
  }

  /** At least the first `minBytes` kept (all when fewer), joining only the chunks needed. */
  prefix(minBytes: number): Uint8Array {
    let length = 0;
    let count = 0;
    while (count < this.chunks.length && length < minBytes) length += this.chunks[count++]!.length;
    if (count <= 1) return this.chunks[0] ?? new Uint8Array(0);
    return Buffer.concat(this.chunks.slice(0, count), length);
  }

  /** Whether what is kept is the whole dataset. */
  get complete(): boolean {
    return !this.truncated;
  }

  /** The kept prefix as one buffer (joined once); `complete` when it is the whole dataset. */
  view(): { readonly bytes: Uint8Array; readonly complete: boolean } {
    const complete = this.complete;
    if (this.chunks.length === 0) return { bytes: new Uint8Array(0), complete };
    if (this.chunks.length > 1) this.chunks.splice(0, this.chunks.length, Buffer.concat(this.chunks, this.length));
    return { bytes: this.chunks[0] as Uint8Array, complete };
  }
}

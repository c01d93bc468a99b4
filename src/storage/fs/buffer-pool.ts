/**
 * Reuses the large write buffers of finished objects, so that 500 objects a second do not allocate
 * 500 MiB a second. Owned by one store; holds at most `maxIdle` idle buffers.
 */
export class BufferPool {
  private readonly idle: Buffer[] = [];

  constructor(
    readonly bufferBytes: number,
    private readonly maxIdle: number,
  ) {}

  take(): Buffer {
    return this.idle.pop() ?? Buffer.allocUnsafe(this.bufferBytes);
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.bufferBytes && this.idle.length < this.maxIdle) this.idle.push(buffer);
  }
}

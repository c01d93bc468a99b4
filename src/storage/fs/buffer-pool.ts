/**
 * What direct I/O asks of a write: its memory address, file offset and length all multiples of
 * the device's logical block size. 4 KiB covers 512-byte and 4 KiB devices alike.
 */
export const DIRECT_IO_ALIGNMENT = 4096;

/** Memory for direct writes comes in slabs of this many bytes (several buffers each). */
const SLAB_BYTES = 4 * 1024 * 1024;
/** At most this much slab memory (256 buffers of 256 KiB); past it, buffers are plain and written through the page cache. */
const MAX_SLAB_BYTES = 64 * 1024 * 1024;
const WASM_PAGE_BYTES = 64 * 1024;

/** The one WebAssembly API used here (TypeScript declares WebAssembly only with the DOM library). */
interface WasmMemoryConstructor {
  new (descriptor: { readonly initial: number; readonly maximum: number }): { readonly buffer: ArrayBuffer };
}
const WasmMemory = (globalThis as { WebAssembly?: { Memory: WasmMemoryConstructor } }).WebAssembly?.Memory;

/**
 * Reuses the large write buffers of finished objects, so that 500 objects a second do not allocate
 * 500 MiB a second. Owned by one store.
 *
 * Its buffers are aligned for direct I/O where it can: JavaScript has no aligned allocation, and
 * Node's Buffer memory comes from malloc (16-byte alignment). A WebAssembly memory is mapped
 * by the engine and so starts on a page boundary; the pool cuts its buffers from such memories
 * ("slabs") at aligned offsets. A slab is kept for the life of the store (buffers cut from it
 * cannot be freed one by one), which bounds this memory by the most objects ever written at once;
 * past `MAX_SLAB_BYTES`, or where the engine refuses a memory, buffers are plain (`isAligned`
 * says which) and go through the page cache as before.
 */
export class BufferPool {
  private readonly idle: Buffer[] = [];
  private readonly idleAligned: Buffer[] = [];
  private readonly slabs = new WeakSet<ArrayBufferLike>();
  private slabBytes = 0;
  private slabsRefused: boolean;

  constructor(
    readonly bufferBytes: number,
    private readonly maxIdle: number,
    options: { readonly aligned?: boolean } = {},
  ) {
    this.slabsRefused = options.aligned === false || WasmMemory === undefined || bufferBytes % DIRECT_IO_ALIGNMENT !== 0 || bufferBytes > SLAB_BYTES;
  }

  /** Whether this pool can give aligned buffers at all (its buffer size a whole number of blocks, slab memory available). */
  get alignsBuffers(): boolean {
    return !this.slabsRefused;
  }

  take(): Buffer {
    return this.idleAligned.pop() ?? this.takeFromNewSlab() ?? this.idle.pop() ?? Buffer.allocUnsafe(this.bufferBytes);
  }

  give(buffer: Buffer): void {
    if (buffer.length !== this.bufferBytes) return;
    if (this.isAligned(buffer)) this.idleAligned.push(buffer);
    else if (this.idle.length < this.maxIdle) this.idle.push(buffer);
  }

  /** Whether `view` lies in slab memory at an aligned offset (its address is then aligned for direct I/O). */
  isAligned(view: Uint8Array): boolean {
    return this.slabs.has(view.buffer) && view.byteOffset % DIRECT_IO_ALIGNMENT === 0;
  }

  private takeFromNewSlab(): Buffer | null {
    if (this.slabsRefused || this.slabBytes + SLAB_BYTES > MAX_SLAB_BYTES) return null;
    let memory: ArrayBuffer;
    try {
      memory = new WasmMemory!({ initial: SLAB_BYTES / WASM_PAGE_BYTES, maximum: SLAB_BYTES / WASM_PAGE_BYTES }).buffer;
    } catch {
      // The engine may refuse (address space reserved for WebAssembly is bounded): plain buffers from here on.
      this.slabsRefused = true;
      return null;
    }
    this.slabs.add(memory);
    this.slabBytes += SLAB_BYTES;
    for (let offset = this.bufferBytes; offset + this.bufferBytes <= SLAB_BYTES; offset += this.bufferBytes) {
      this.idleAligned.push(Buffer.from(memory, offset, this.bufferBytes));
    }
    return Buffer.from(memory, 0, this.bufferBytes);
  }
}

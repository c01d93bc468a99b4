import type { FsFile, FsOps } from './fs-ops.js';
import { newTempPath, type StoreLayout } from './layout.js';

/** A temporary file created for one object: its descriptor, and a second one for direct writes (or null). */
export interface OpenedTempFile {
  readonly file: FsFile;
  readonly direct: FsFile | null;
}

export interface TempFile {
  readonly tempPath: string;
  /** Settles once the file is created and open; rejects with the cause when it could not be. */
  readonly opening: Promise<OpenedTempFile>;
}

const DEFAULT_MAX_AGE_MS = 10_000;

export interface TempFileSettings {
  readonly ops: FsOps;
  readonly layout: StoreLayout;
  readonly fileMode: number;
  /** Whether to open a second descriptor for direct writes; turned off for good once the filesystem refuses. */
  readonly directWrites: { enabled: boolean };
}

/**
 * Temporary files created ahead of the objects that will use them. Creating a file is the most
 * expensive filesystem call of an object on some filesystems (measured on ext4 without a journal,
 * where inodes freed in the last minutes are skipped one by one: up to a quarter of the thread
 * pool's time per CT slice), and a thread that runs it preempts the event loop on a busy machine.
 * When an object takes its file, the next one is created while that object arrives — not while
 * it is flushed: a file created beside a flush of ours (of an object or of the index's log) made
 * that flush three to six times slower here. A file taken from the reserve is fresh and empty, as one
 * created on demand; after a crash the reserve is removed with the rest of `tmp/` at the next start.
 *
 * Files are kept for `maxAgeMs` at most: a reserve matters while objects keep coming, and the
 * longer a file waits the likelier something outside (an operator cleaning `tmp/`) has removed it,
 * which would fail the object that takes it at its link. Older ones are removed and a new file is
 * created on demand.
 */
export class TempFileReserve {
  private readonly ready: { readonly temp: TempFile; readonly createdAt: number }[] = [];
  private closed = false;
  private replenishing = false;

  constructor(
    private readonly settings: TempFileSettings,
    private readonly size: number,
    private readonly maxAgeMs = DEFAULT_MAX_AGE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A file from the reserve, or one being created now when the reserve holds none young enough; the reserve is topped up after. */
  take(): TempFile {
    this.replenishSoon();
    const oldest = this.now() - this.maxAgeMs;
    for (let entry = this.ready.shift(); entry !== undefined; entry = this.ready.shift()) {
      if (entry.createdAt >= oldest) return entry.temp;
      void discardTempFile(this.settings.ops, entry.temp);
    }
    return openTempFile(this.settings);
  }

  /** Tops the reserve up once the caller's turn of the event loop is over (the taker first opens its own file, if it must). */
  private replenishSoon(): void {
    if (this.replenishing || this.closed) return;
    this.replenishing = true;
    setImmediate(() => {
      this.replenishing = false;
      this.replenish();
    });
  }

  /** Tops the reserve up. */
  replenish(): void {
    while (!this.closed && this.ready.length < this.size) {
      const temp = openTempFile(this.settings);
      // A file that cannot be created is not kept: the object that would have taken it creates its own.
      temp.opening.catch(() => this.drop(temp));
      this.ready.push({ temp, createdAt: this.now() });
    }
  }

  /** Paths of the files in reserve now. */
  reservedPaths(): string[] {
    return this.ready.map((entry) => entry.temp.tempPath);
  }

  /** Closes and removes the files in reserve; none are made after. */
  async close(): Promise<void> {
    this.closed = true;
    const entries = this.ready.splice(0);
    await Promise.all(entries.map((entry) => discardTempFile(this.settings.ops, entry.temp)));
  }

  private drop(temp: TempFile): void {
    const index = this.ready.findIndex((entry) => entry.temp === temp);
    if (index >= 0) this.ready.splice(index, 1);
  }
}

/** Creates a temporary file exclusively and opens it a second time for direct writes where allowed. */
function openTempFile(settings: TempFileSettings): TempFile {
  const tempPath = newTempPath(settings.layout);
  const opening = settings.ops.openExclusive(tempPath, settings.fileMode).then(async (file) => ({ file, direct: await openDirect(settings, tempPath) }));
  opening.catch(() => undefined); // handled by whoever takes it
  return { tempPath, opening };
}

async function openDirect(settings: TempFileSettings, path: string): Promise<FsFile | null> {
  const { directWrites, ops } = settings;
  if (!directWrites.enabled) return null;
  try {
    const direct = await ops.openDirect(path);
    if (direct === null) directWrites.enabled = false;
    return direct;
  } catch {
    // Not a reason to fail the object (the file is open): it is written through the page cache.
    return null;
  }
}

async function discardTempFile(ops: FsOps, temp: TempFile): Promise<void> {
  try {
    const { file, direct } = await temp.opening;
    if (direct !== null) await ops.close(direct).catch(() => undefined);
    await ops.close(file).catch(() => undefined);
    await ops.unlink(temp.tempPath).catch(() => undefined);
  } catch {
    // Never created: nothing to remove.
  }
}

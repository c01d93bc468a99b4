import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** fsync a directory, so that a file created in it survives power loss (its entry is durable). */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * `mkdir -p` whose new directories survive power loss: the parent of every directory it made is
 * fsynced (deepest first). An fsync of a directory makes its own entries durable, not its entry in
 * its parent — on a filesystem without a journal nothing else orders them. Nothing is synced when
 * the directory existed.
 */
export async function makeDirectoryDurably(dir: string, mode: number, syncDirectory: (dir: string) => Promise<void> = fsyncDirectory): Promise<void> {
  const made = await mkdir(dir, { recursive: true, mode });
  if (made === undefined) return;
  const first = resolve(made);
  for (let created = resolve(dir); ; created = dirname(created)) {
    await syncDirectory(dirname(created));
    if (created === first || created === dirname(created)) return;
  }
}

/**
 * Appends bytes to a file and fsyncs it before resolving; when this call created the file, the
 * directory is fsynced too (and any directory made for it, in its parent). Used for audit
 * checkpoints, the ATNA spool and verification progress.
 */
export async function appendDurably(path: string, bytes: string | Uint8Array): Promise<void> {
  const existed = await stat(path).then(
    () => true,
    () => false,
  );
  if (!existed) await makeDirectoryDurably(dirname(path), 0o700);
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.appendFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (!existed) await fsyncDirectory(dirname(path));
}

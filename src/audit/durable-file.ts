import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

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
 * Appends bytes to a file and fsyncs it before resolving; when this call created the file, the
 * directory is fsynced too. Used for checkpoints and the ATNA spool.
 */
export async function appendDurably(path: string, bytes: string | Uint8Array): Promise<void> {
  const existed = await stat(path).then(
    () => true,
    () => false,
  );
  if (!existed) await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.appendFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (!existed) await fsyncDirectory(dirname(path));
}

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { readFileMeta } from '../dicom/part10/index.js';
import { run } from './dcmtk.js';
import { freePort } from './net.js';
import { DCMTK_ENV } from './tools.js';

/** The dataset of a Part 10 file (after the file meta group): what must travel bit for bit. */
export function datasetOfPart10(bytes: Buffer): Buffer {
  const meta = readFileMeta(bytes);
  if (!meta.ok) throw new Error('not a Part 10 file');
  return bytes.subarray(meta.value.datasetOffset);
}

/**
 * DCMTK's storescp as a C-MOVE destination, writing what arrives as is (+B) into `dir`, accepting
 * every transfer syntax it knows (`all`, +xa), its default (`uncompressed`: implicit and explicit
 * VR, either byte order), or Implicit VR Little Endian alone (`implicit`, +xi), like the oldest
 * peers. Resolves once it answers C-ECHO.
 */
export async function startStorescp(dir: string, options: { readonly accepts: 'all' | 'uncompressed' | 'implicit' }): Promise<{ readonly process: ChildProcess; readonly port: number }> {
  const port = await freePort();
  const syntaxes = { all: ['+xa'], uncompressed: [], implicit: ['+xi'] }[options.accepts];
  const child = spawn('storescp', ['-aet', 'STORESCP', ...syntaxes, '+B', '-od', dir, String(port)], { env: DCMTK_ENV, stdio: 'ignore' });
  for (let i = 0; i < 100 && (await run('echoscu', ['-aec', 'STORESCP', '127.0.0.1', String(port)])).code !== 0; i++) await delay(50);
  return { process: child, port };
}

import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStore } from '../storage/index.js';
import { checkCheckpointLine, checkpointsPath, type Checkpoint } from './checkpoint.js';
import { appendDurably } from '../storage/index.js';
import type { AuditEventStore, StoredObjectCatalog } from './ports.js';
import { loadVerifyingKey, signingKeyPaths, type VerifyingKey } from './signing-key.js';
import { verifyAuditChain } from './verify-chain.js';
import { verifyStoredObjects, type ObjectCursor } from './verify-objects.js';

/**
 * `kakutei verify`: stored objects against their hashes, then the audit chain against itself and
 * against every signed checkpoint (the data dir's file and any given with --checkpoint). Progress
 * is saved in `<dataDir>/audit/verify-progress.json` after each page, with the problems found so
 * far, so that `--resume` continues an interrupted run over a large archive.
 */
export interface VerificationInput {
  readonly dataDir: string;
  readonly events: Pick<AuditEventStore, 'readFrom'>;
  readonly catalog: StoredObjectCatalog;
  readonly objects: ObjectStore;
  /** Extra checkpoint files (copies kept elsewhere, e.g. from the ATNA repository). */
  readonly checkpointFiles: readonly string[];
  /** Public key file; default `<dataDir>/keys/audit-signing.pub`. */
  readonly publicKeyFile?: string;
  readonly resume: boolean;
  readonly onProblem: (line: string) => void;
  /** Progress lines for a human (stderr), every `progressEvery` objects. */
  readonly onProgressLine?: (line: string) => void;
  readonly progressEvery?: number;
}

export interface VerificationResult {
  readonly problems: readonly string[];
  readonly objectsChecked: number;
  readonly eventsChecked: number;
}

interface Progress {
  readonly version: 1;
  phase: 'objects' | 'audit';
  objectCursor: ObjectCursor | null;
  objectsChecked: number;
  audit: { seq: number; hash: string } | null;
  problems: string[];
}

export function progressPath(dataDir: string): string {
  return join(dataDir, 'audit', 'verify-progress.json');
}

export async function runVerification(input: VerificationInput): Promise<VerificationResult> {
  const path = progressPath(input.dataDir);
  const saved = input.resume ? await loadProgress(path) : null;
  if (!input.resume) await rm(path, { force: true });
  const progress: Progress = saved ?? { version: 1, phase: 'objects', objectCursor: null, objectsChecked: 0, audit: null, problems: [] };
  const problem = (line: string): void => {
    progress.problems.push(line);
    input.onProblem(line);
  };
  if (saved !== null) for (const line of saved.problems) input.onProblem(line);

  const every = input.progressEvery ?? 1000;
  if (progress.phase === 'objects') {
    const before = progress.objectsChecked;
    let lastReported = before;
    await verifyStoredObjects(input.catalog, input.objects, {
      resumeFrom: progress.objectCursor,
      onProblem: problem,
      onProgress: async (cursor, checked) => {
        progress.objectCursor = cursor;
        progress.objectsChecked = before + checked;
        await saveProgress(path, progress);
        if (progress.objectsChecked - lastReported >= every) {
          lastReported = progress.objectsChecked;
          input.onProgressLine?.(`verify: ${progress.objectsChecked} objects checked`);
        }
      },
    });
    progress.phase = 'audit';
    await saveProgress(path, progress);
  }

  const checkpoints = await loadAllCheckpoints(input, problem);
  const chain = await verifyAuditChain(input.events, {
    resumeAfter: progress.audit,
    checkpoints,
    onProblem: problem,
    onProgress: async (seq, hash) => {
      progress.audit = { seq, hash };
      await saveProgress(path, progress);
    },
  });
  input.onProgressLine?.(`verify: ${progress.objectsChecked} objects, audit events up to ${chain.lastSeq} checked, ${progress.problems.length} problem(s)`);
  await rm(path, { force: true });
  return { problems: progress.problems, objectsChecked: progress.objectsChecked, eventsChecked: chain.eventsChecked };
}

async function loadAllCheckpoints(input: VerificationInput, problem: (line: string) => void): Promise<Checkpoint[]> {
  const keyFile = input.publicKeyFile ?? signingKeyPaths(input.dataDir).publicKey;
  const files = [checkpointsPath(input.dataDir), ...input.checkpointFiles];
  // Read line by line (years of checkpoints outgrow one string). The key is loaded at the first
  // checkpoint line: files without any need none. Every file is still opened, so that each one
  // that cannot be read is reported.
  let key: VerifyingKey | null | undefined;
  const valid: Checkpoint[] = [];
  for (const file of files) {
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (cause) {
      const isDefault = file === files[0];
      if (!(isDefault && (cause as NodeJS.ErrnoException).code === 'ENOENT')) problem(`checkpoint ${file} cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
      continue;
    }
    try {
      let number = 0;
      for await (const line of handle.readLines({ encoding: 'utf8' })) {
        number += 1;
        if (line.trim() === '') continue;
        key ??= await loadVerifyingKey(keyFile).catch(() => {
          problem(`checkpoint: the public key ${keyFile} cannot be read; no checkpoint can be verified`);
          return null;
        });
        if (key === null) break;
        const outcome = checkCheckpointLine(line, `checkpoint ${file}:${number}`, key);
        if (typeof outcome === 'string') problem(outcome);
        else if (outcome !== null) valid.push(outcome);
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
  }
  return key === null ? [] : valid;
}

async function loadProgress(path: string): Promise<Progress | null> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Progress;
    return value.version === 1 ? value : null;
  } catch {
    return null;
  }
}

async function saveProgress(path: string, progress: Progress): Promise<void> {
  const temp = `${path}.tmp`;
  await appendDurably(temp, ''); // creates the directory on first use
  await writeFile(temp, JSON.stringify(progress));
  await rename(temp, path);
}

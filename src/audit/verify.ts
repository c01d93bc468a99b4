import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStore } from '../storage/index.js';
import { checkpointsPath, readCheckpoints, type Checkpoint } from './checkpoint.js';
import { appendDurably } from '../storage/index.js';
import type { AuditEventStore, StoredObjectCatalog } from './ports.js';
import { loadVerifyingKey, signingKeyPaths } from './signing-key.js';
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
  const texts: { file: string; text: string }[] = [];
  for (const file of files) {
    try {
      texts.push({ file, text: await readFile(file, 'utf8') });
    } catch (cause) {
      const isDefault = file === files[0];
      if (!(isDefault && (cause as NodeJS.ErrnoException).code === 'ENOENT')) problem(`checkpoint ${file} cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (texts.every(({ text }) => text.trim() === '')) return [];
  let key;
  try {
    key = await loadVerifyingKey(keyFile);
  } catch {
    problem(`checkpoint: the public key ${keyFile} cannot be read; no checkpoint can be verified`);
    return [];
  }
  const valid: Checkpoint[] = [];
  for (const { file } of texts) {
    const parsed = await readCheckpoints(file, key, file);
    parsed.problems.forEach(problem);
    valid.push(...parsed.valid);
  }
  return valid;
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

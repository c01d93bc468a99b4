import { readFileSync } from 'node:fs';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../config/index.js';
import { ScuAssociation } from '../dicom/net/index.js';
import { readFileMeta } from '../dicom/part10/index.js';
import { acknowledgedFiles, storescu, storescuProposalFor } from './dcmtk.js';

/**
 * Sends Part 10 files to a C-STORE SCP: with DCMTK's storescu where it knows the transfer syntax
 * (one run per syntax, proposing exactly that one), otherwise with our own SCU (HTJ2K).
 * Returns the files that were acknowledged with success.
 */
export async function sendFiles(port: number, files: readonly { path: string; transferSyntaxUid: string }[]): Promise<{ acknowledged: string[]; log: string }> {
  const byProposal = new Map<string, string[]>();
  const ours: string[] = [];
  for (const file of files) {
    const proposal = storescuProposalFor(file.transferSyntaxUid);
    if (proposal === null) ours.push(file.path);
    else byProposal.set(proposal, [...(byProposal.get(proposal) ?? []), file.path]);
  }
  const acknowledged: string[] = [];
  let log = '';
  for (const [proposal, paths] of byProposal) {
    const result = await storescu(port, paths, [proposal]);
    log += result.stdout + result.stderr;
    acknowledged.push(...acknowledgedFiles(result.stdout + result.stderr));
  }
  for (const path of ours) {
    if (await sendWithOurScu(port, path)) acknowledged.push(path);
  }
  return { acknowledged, log };
}

export async function sendWithOurScu(port: number, path: string): Promise<boolean> {
  const bytes = readFileSync(path);
  const meta = readFileMeta(bytes);
  if (!meta.ok) throw new Error(`not a Part 10 file: ${path}`);
  const { sopClassUid, sopInstanceUid, transferSyntaxUid, datasetOffset } = meta.value;
  const connected = await ScuAssociation.connect({
    host: '127.0.0.1',
    port,
    callingAeTitle: 'KAKUTEI_SCU',
    calledAeTitle: 'KAKUTEI',
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    presentationContexts: [{ abstractSyntaxUid: sopClassUid, transferSyntaxUids: [transferSyntaxUid] }],
  });
  if (!connected.ok) throw new Error(`association failed: ${connected.error.kind} ${connected.error.detail}`);
  const association = connected.value;
  const stored = await association.store({ sopClassUid, sopInstanceUid, transferSyntaxUid, dataset: bytes.subarray(datasetOffset) });
  await association.release();
  return stored.ok && stored.value.status === 0;
}

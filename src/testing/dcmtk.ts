import { spawn } from 'node:child_process';
import { DCMTK_ENV } from './tools.js';

export interface ToolRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`), capturing its output. */
export function run(command: string, args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? DCMTK_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('latin1')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('latin1')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `storescu -v` prints "Sending file: X" then "Received Store Response (Success)" per object. */
export function acknowledgedFiles(storescuOutput: string): string[] {
  const acknowledged: string[] = [];
  let current: string | null = null;
  for (const line of storescuOutput.split('\n')) {
    const sending = /Sending file: (.+)$/.exec(line);
    if (sending) current = sending[1]!.trim();
    else if (/Received Store Response \(Success\)/.test(line) && current !== null) {
      acknowledged.push(current);
      current = null;
    }
  }
  return acknowledged;
}

export function storescu(port: number, files: readonly string[], extraArgs: readonly string[] = []): Promise<ToolRun> {
  return run('storescu', ['-v', '-aec', 'KAKUTEI', '-aet', 'TESTSCU', ...extraArgs, '127.0.0.1', String(port), ...files]);
}

/**
 * storescu proposes uncompressed transfer syntaxes unless told otherwise (it would then try to
 * decompress, and fail). One option per compressed syntax makes it send each file as it is.
 * HTJ2K (…4.201–203) is unknown to Debian's DCMTK 3.6.7, and storescu re-deflates a deflated
 * dataset (its bytes then differ from the file's): send those with our own SCU, byte for byte.
 */
const STORESCU_PROPOSAL: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2': '-xi',
  '1.2.840.10008.1.2.1': '-xe',
  '1.2.840.10008.1.2.2': '-xb',
  '1.2.840.10008.1.2.4.50': '-xy',
  '1.2.840.10008.1.2.4.51': '-xx',
  '1.2.840.10008.1.2.4.57': '-xs',
  '1.2.840.10008.1.2.4.70': '-xs',
  '1.2.840.10008.1.2.4.80': '-xt',
  '1.2.840.10008.1.2.4.81': '-xu',
  '1.2.840.10008.1.2.4.90': '-xv',
  '1.2.840.10008.1.2.4.91': '-xw',
  '1.2.840.10008.1.2.5': '-xr',
};

export function storescuProposalFor(transferSyntaxUid: string): string | null {
  return STORESCU_PROPOSAL[transferSyntaxUid] ?? null;
}

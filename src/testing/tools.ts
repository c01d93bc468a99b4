import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

const found = new Map<string, boolean>();

export function hasTool(name: string): boolean {
  let known = found.get(name);
  if (known === undefined) {
    known = spawnSync('sh', ['-c', `command -v ${JSON.stringify(name)}`], { stdio: 'ignore' }).status === 0;
    found.set(name, known);
  }
  return known;
}

/**
 * Tests that need a real peer: under CI=true a missing tool fails the test; on a laptop the test is
 * skipped and says which tool is missing. Returns false when the caller must return early.
 */
export function requireTools(t: TestContext, ...names: string[]): boolean {
  const missing = names.filter((name) => !hasTool(name));
  if (missing.length === 0) return true;
  const message = `missing tool(s): ${missing.join(', ')} (install Debian packages dcmtk, dicom3tools, strace)`;
  if (process.env['CI'] === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

/** DCMTK leaves Nagle on; each response would wait for a delayed ACK (issue 2, notes). */
export const DCMTK_ENV = { ...process.env, TCP_NODELAY: '1' };

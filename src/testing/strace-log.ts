import { readFileSync } from 'node:fs';

/** One completed system call from `strace -f -y` output, in order of completion. */
export interface TracedCall {
  readonly pid: number;
  readonly name: string;
  readonly args: string;
  readonly result: string;
}

/**
 * Reads `strace -f -y -o FILE` output. Calls that were interrupted by another thread's line appear
 * as "<unfinished ...>" and later "<... name resumed>"; they are joined and placed at completion,
 * which is what ordering arguments about durability need.
 */
export function readStraceLog(path: string): TracedCall[] {
  const calls: TracedCall[] = [];
  const unfinished = new Map<number, string>();
  for (const line of readFileSync(path, 'latin1').split('\n')) {
    const head = /^(\d+)\s+(.*)$/.exec(line);
    if (!head) continue;
    const pid = Number(head[1]);
    let body = head[2]!;
    if (body.endsWith('<unfinished ...>')) {
      unfinished.set(pid, body.slice(0, -'<unfinished ...>'.length));
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(body);
    if (resumed) {
      body = (unfinished.get(pid) ?? '') + resumed[1]!;
      unfinished.delete(pid);
    }
    const call = /^(\w+)\((.*)\)\s+=\s+(.+)$/.exec(body);
    if (call) calls.push({ pid, name: call[1]!, args: call[2]!, result: call[3]! });
  }
  return calls;
}

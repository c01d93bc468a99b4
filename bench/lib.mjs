// Shared machinery for the benchmarks: a private network namespace, free ports, starting and
// stopping the servers under test, waiting for C-ECHO, sending with storescu, reading peak RSS.
// Plain Node ESM so that it runs from a checkout after `npm run build`, without a test runner.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const LOOPBACK = '127.0.0.1';
const NETNS_MARKER = 'KAKUTEI_BENCH_NETNS';

/**
 * storescp and Orthanc cannot be told to bind to loopback only; they listen on every interface.
 * So the benchmark runs inside a network namespace of its own, where loopback is the only
 * interface. Returns true when the caller is that re-executed child (or isolation is impossible and
 * `null` is returned so the caller can skip the servers that would bind beyond loopback).
 */
export function ensurePrivateNetwork(scriptPath) {
  if (process.env[NETNS_MARKER] === '1') return true;
  if (process.env[NETNS_MARKER] === 'unavailable') return false;
  const probe = spawnSync('unshare', ['--net', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    process.env[NETNS_MARKER] = 'unavailable';
    return false;
  }
  const node = process.execPath;
  const args = [scriptPath, ...process.argv.slice(2)].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawnSync('unshare', ['--net', 'sh', '-c', `ip link set lo up && exec '${node}' ${args}`], {
    stdio: 'inherit',
    env: { ...process.env, [NETNS_MARKER]: '1' },
  });
  process.exit(child.status ?? 1);
}

export function hasExecutable(path) {
  try {
    return (statSync(path).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

export function which(tool) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && hasExecutable(join(dir, tool))) return join(dir, tool);
  }
  return null;
}

/** A port that was free on loopback a moment ago. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Environment for every DCMTK-based process: Nagle off on their sockets. */
export const DCMTK_ENV = { ...process.env, TCP_NODELAY: '1' };

/** Starts a server process with its output in a log file. */
export function startProcess(command, args, logPath, env = DCMTK_ENV) {
  const log = openSync(logPath, 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log], env });
  closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, logPath };
}

/** Peak resident set size of a live process, in bytes (VmHWM, Linux /proc). */
export function peakRssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match === null ? null : Number(match[1]) * 1024;
}

/** User and system CPU time of a live process so far, all its threads, in milliseconds (Linux /proc). */
export function cpuMilliseconds(pid) {
  // Fields 14 and 15 of /proc/<pid>/stat, in clock ticks; the command name (field 2) may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return { user: (Number(fields[11]) * 1000) / ticksPerSecond, system: (Number(fields[12]) * 1000) / ticksPerSecond };
}

/** Stops a server: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(proc, graceMs = 10_000) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const done = await Promise.race([proc.exited, sleep(graceMs).then(() => null)]);
  if (done === null) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
}

/** Waits until echoscu gets an answer, at most `attempts` tries 200 ms apart. */
export async function waitForEcho(port, calledAe, proc, attempts = 150) {
  for (let i = 0; i < attempts; i++) {
    if (proc.child.exitCode !== null) throw new Error(`server exited early (code ${proc.child.exitCode}): ${logTail(proc.logPath)}`);
    const result = spawnSync('echoscu', ['-to', '2', '-aet', 'BENCH', '-aec', calledAe, LOOPBACK, String(port)], { env: DCMTK_ENV, stdio: 'ignore' });
    if (result.status === 0) return;
    await sleep(200);
  }
  throw new Error(`no C-ECHO answer from ${calledAe} on port ${port}: ${logTail(proc.logPath)}`);
}

/** The last lines of a server's log, for an error message (the run directory is removed). */
export function logTail(path, lines = 6) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join(' / ').slice(0, 1500);
  } catch {
    return '(no log)';
  }
}

/** Runs one storescu over one association; resolves with its exit code and stderr. */
export function storescu(port, calledAe, files) {
  return new Promise((resolve) => {
    // -R: propose only the SOP classes present, as a modality does; -nh: count every failure.
    const child = spawn('storescu', ['-R', '-nh', '-aet', 'BENCH', '-aec', calledAe, LOOPBACK, String(port), ...files], { env: DCMTK_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('latin1');
    child.stderr.on('data', (chunk) => {
      if (stderr.length < 1_000_000) stderr += chunk;
    });
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

/** Sends `files` over `associations` concurrent storescu processes; returns wall-clock seconds. */
export async function sendFiles(port, calledAe, files, associations) {
  const parts = Array.from({ length: associations }, (_, i) => files.filter((_, j) => j % associations === i));
  const started = process.hrtime.bigint();
  const results = await Promise.all(parts.map((part) => storescu(port, calledAe, part)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const failures = results.filter((r) => r.code !== 0 || /^E: /m.test(r.stderr));
  // Its E: lines say why; when there are none (a crash, a refused association), its last lines do.
  const why = (stderr) => {
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    const errors = lines.filter((l) => l.startsWith('E:') || l.startsWith('F:'));
    return (errors.length > 0 ? errors.slice(0, 5) : lines.slice(-5)).join(' | ') || '(no output)';
  };
  if (failures.length > 0) throw new Error(`storescu failed: ${failures.map((f) => `exit ${f.code}: ${why(f.stderr)}`).join('; ')}`);
  return seconds;
}

export function countFiles(dir) {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    n += statSync(path).isDirectory() ? countFiles(path) : 1;
  }
  return n;
}

export function totalBytes(files) {
  return files.reduce((sum, f) => sum + statSync(f).size, 0);
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function writeJson(path, value) {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export { existsSync, mkdirSync, writeFileSync, sleep };

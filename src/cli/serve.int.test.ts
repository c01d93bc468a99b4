import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { startKakuteiProcess } from '../testing/server-process.js';

const CLI = fileURLToPath(new URL('./kakutei.cjs', import.meta.url));

function kakutei(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, KAKUTEI_CONFIG: '' } });
}

describe('kakutei command line', () => {
  it('describes itself with --help and exits 0', () => {
    const top = kakutei('--help');
    assert.equal(top.status, 0);
    assert.match(top.stdout, /serve/);
    const serve = kakutei('serve', '--help');
    assert.equal(serve.status, 0);
    for (const flag of ['--data', '--config', '--http-port', '--dicom-port', '--ae-title']) assert.ok(serve.stdout.includes(flag), flag);
  });

  // libuv reads its pool size once, when the pool starts; an ES module entry would set it too late.
  // Two threads besides the pool are the least a Node process has (its main thread and V8's).
  it('runs the server on a thread pool of 16 threads unless UV_THREADPOOL_SIZE says otherwise', { skip: existsSync('/proc/self/task') ? false : 'needs /proc (Linux) to count threads' }, async () => {
    for (const [env, expected] of [['', 16], ['24', 24]] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'kakutei-cli-'));
      const server = await startKakuteiProcess({ dataDir: join(dir, 'data'), env: { UV_THREADPOOL_SIZE: env } });
      try {
        const threads = readdirSync(`/proc/${server.child.pid}/task`).length;
        assert.ok(threads >= expected + 2, `UV_THREADPOOL_SIZE=${JSON.stringify(env)}: ${threads} threads, expected a pool of ${expected}`);
        assert.ok(threads < expected + 16, `UV_THREADPOOL_SIZE=${JSON.stringify(env)}: ${threads} threads, more than a pool of ${expected} explains`);
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  // A service manager may stop the server the moment it is up: the signal must find a handler
  // already, or the process ends there and then (no final audit checkpoint, associations cut).
  it('stops gracefully, with exit 0 and its final checkpoint, when SIGTERM comes while it is still starting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kakutei-cli-'));
    try {
      const child = spawn(process.execPath, [CLI, 'serve', '--data', join(dir, 'data'), '--dicom-port', '0', '--http-port', '0'], {
        env: { ...process.env, KAKUTEI_CONFIG: '', KAKUTEI_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const events: string[] = [];
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      createInterface({ input: child.stdout }).on('line', (line) => {
        let event: string;
        try {
          event = (JSON.parse(line) as { event?: string }).event ?? '';
        } catch {
          return; // not a log line
        }
        events.push(event);
        // The index opens early in start-up, well before the server says it is ready.
        if (event === 'index-opened') child.kill('SIGTERM');
      });
      const { code, signal } = await exited;
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, `events: ${events.join(', ')}`);
      const order = ['index-opened', 'shutdown-requested', 'started', 'shutdown', 'audit-checkpoint'].map((event) => events.indexOf(event));
      assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)), `the stop noted, start-up finished, then stopped with a checkpoint: ${events.join(', ')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 on wrong usage, saying what is wrong', () => {
    const unknown = kakutei('frobnicate');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command/);
    const badPort = kakutei('serve', '--http-port', 'eighty');
    assert.equal(badPort.status, 2);
    assert.match(badPort.stderr, /--http-port/);
    const badFlag = kakutei('serve', '--no-such-flag');
    assert.equal(badFlag.status, 2);
  });

  it('exits 2 with every problem listed when the configuration is invalid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kakutei-cli-'));
    try {
      const config = join(dir, 'bad.yaml');
      writeFileSync(config, 'dicom:\n  aeTitle: THIS_AE_TITLE_IS_TOO_LONG\n  maxAssociations: 0\n');
      const result = kakutei('serve', '--config', config, '--data', join(dir, 'data'));
      assert.equal(result.status, 2);
      assert.match(result.stderr, /dicom\.aeTitle/);
      assert.match(result.stderr, /dicom\.maxAssociations/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../cli/kakutei.cjs', import.meta.url));

export interface KakuteiProcess {
  readonly child: ChildProcess;
  readonly dicomPort: number;
  readonly httpPort: number;
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  /** SIGTERM and wait. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
}

export interface KakuteiProcessOptions {
  readonly dataDir: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  /** A command to run the server under, e.g. `['strace', '-f', '-o', file]`. */
  readonly wrapper?: readonly string[];
  readonly startTimeoutMs?: number;
}

/** Runs `kakutei serve` as a real process on free ports and waits for its "ready" log line. */
export async function startKakuteiProcess(options: KakuteiProcessOptions): Promise<KakuteiProcess> {
  const command = [...(options.wrapper ?? []), process.execPath, CLI, 'serve', '--data', options.dataDir, '--dicom-port', '0', '--http-port', '0', ...(options.args ?? [])];
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, KAKUTEI_LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ dicomPort: number; httpPort: number; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kakutei did not start in time; stderr: ${stderr.slice(-2000)}`)), options.startTimeoutMs ?? 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry['event'] === 'started') {
        clearTimeout(timer);
        resolve({ dicomPort: entry['dicomPort'] as number, httpPort: entry['httpPort'] as number, pid: entry['pid'] as number });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`kakutei exited (${code}) before it was ready; stderr: ${stderr.slice(-2000)}`));
    });
  });
  const { dicomPort, httpPort, pid } = await ready;
  // Signal the server itself, not a wrapper such as strace (which would detach and leave it running).
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  return {
    child,
    dicomPort,
    httpPort,
    logs,
    stop: async () => {
      signal('SIGTERM');
      return exited;
    },
    kill: async () => {
      signal('SIGKILL');
      await exited;
    },
  };
}

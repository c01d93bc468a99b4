/**
 * The set-up of the query/retrieve tests against a real `kakutei serve`: a work directory, the
 * fixture set, DCMTK storescp processes as C-MOVE destinations (each registered as a peer), a
 * `VIEWER` peer allowed to query and retrieve, and the fixtures sent in. Tests only.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureSet, type FixtureFile } from './fixtures/index.js';
import { sendFiles } from './send.js';
import { startKakuteiProcess, type KakuteiProcess } from './server-process.js';
import { startStorescp } from './storescp.js';

export interface DestinationSpec {
  readonly aeTitle: string;
  readonly accepts: 'all' | 'uncompressed' | 'implicit';
}

export interface Destination {
  readonly aeTitle: string;
  /** Where storescp writes what it receives. */
  readonly dir: string;
  readonly port: number;
}

export interface RetrieveRig {
  readonly work: string;
  readonly server: KakuteiProcess;
  readonly fixtures: readonly FixtureFile[];
  readonly destinations: ReadonlyMap<string, Destination>;
  fixture(name: string): FixtureFile;
  close(): Promise<void>;
}

export interface RetrieveRigOptions {
  readonly name: string;
  readonly destinations: readonly DestinationSpec[];
  /** Which fixtures the server receives (default: all). */
  readonly send?: (fixtures: readonly FixtureFile[]) => readonly FixtureFile[];
  /** More lines under `dicom:` in the server's YAML configuration (two-space indented). */
  readonly dicomConfig?: readonly string[];
}

/** Starts everything, or cleans up what it started and throws. */
export async function startRetrieveRig(options: RetrieveRigOptions): Promise<RetrieveRig> {
  const work = mkdtempSync(join(tmpdir(), `kakutei-${options.name}-`));
  const processes: ChildProcess[] = [];
  let server: KakuteiProcess | null = null;
  const close = async (): Promise<void> => {
    for (const child of processes) child.kill();
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const fixtures = await makeFixtureSet(join(work, 'fixtures'));
    const destinations = new Map<string, Destination>();
    for (const spec of options.destinations) {
      const dir = join(work, `received-${spec.aeTitle.toLowerCase()}`);
      mkdirSync(dir);
      const started = await startStorescp(dir, { accepts: spec.accepts });
      processes.push(started.process);
      destinations.set(spec.aeTitle, { aeTitle: spec.aeTitle, dir, port: started.port });
    }
    const config = join(work, 'kakutei.yaml');
    writeFileSync(
      config,
      [
        'dicom:',
        ...(options.dicomConfig ?? []),
        '  peers:',
        '    - { aeTitle: VIEWER, allow: [echo, query, retrieve] }',
        ...[...destinations.values()].map((d) => `    - { aeTitle: ${d.aeTitle}, host: 127.0.0.1, port: ${d.port}, allow: [echo] }`),
        '',
      ].join('\n'),
    );
    server = await startKakuteiProcess({ dataDir: join(work, 'data'), args: ['--config', config] });
    const toSend = options.send?.(fixtures) ?? fixtures;
    const sent = await sendFiles(server.dicomPort, toSend);
    assert.equal(sent.acknowledged.length, toSend.length, sent.log);
    const running = server;
    return {
      work,
      server: running,
      fixtures,
      destinations,
      fixture(name) {
        const found = fixtures.find((candidate) => candidate.name === name);
        assert.ok(found, `fixture ${name}`);
        return found;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ScuAssociation } from './scu.js';
import type { DimseServer } from './server.js';
import { CT_IMAGE_STORAGE, EXPLICIT_LE, IMPLICIT_LE, RecordingHandlers, buildPart10, datasetOfPart10, delay, startServer } from './test-support.js';

const TOOLS = ['echoscu', 'storescu', 'storescp'];
const missing = TOOLS.filter((t) => spawnSync('which', [t]).status !== 0);
// Without DCMTK these tests are skipped locally, but must fail in CI.
const skip = missing.length > 0 && process.env['CI'] !== 'true' ? `DCMTK missing: ${missing.join(', ')}` : false;

function run(tool: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(tool, args, { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: stdout + stderr });
    });
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const address = probe.address();
  await new Promise<void>((r) => probe.close(() => r()));
  assert.ok(typeof address === 'object' && address !== null);
  return address.port;
}

describe('interoperability with DCMTK', { skip }, () => {
  let handlers: RecordingHandlers;
  let server: DimseServer;
  let port: number;
  let dir: string;

  before(async () => {
    handlers = new RecordingHandlers();
    ({ server, port } = await startServer(handlers));
    dir = await mkdtemp(join(tmpdir(), 'kakutei-net-'));
  });
  after(async () => {
    await server.close(1000);
    await rm(dir, { recursive: true, force: true });
  });

  it('answers echoscu', async () => {
    const { code, output } = await run('echoscu', ['-aet', 'MODALITY', '-aec', 'KAKUTEI', '127.0.0.1', String(port)]);
    assert.equal(code, 0, output);
    assert.ok(handlers.events.some((e) => e.kind === 'accepted' && e.association.callingAeTitle === 'MODALITY'));
  });

  it('receives storescu objects whose dataset bytes equal the source files', async () => {
    const files: string[] = [];
    const datasets = new Map<string, Buffer>();
    for (let i = 0; i < 4; i++) {
      const uid = `1.2.826.0.1.3680043.10.1467.99.${i}`;
      const { file, dataset } = buildPart10(CT_IMAGE_STORAGE, uid, 300_000 + i * 1000);
      const path = join(dir, `in-${i}.dcm`);
      await writeFile(path, file);
      files.push(path);
      datasets.set(uid, dataset);
    }
    const before = handlers.stored.length;
    const { code, output } = await run('storescu', ['-aet', 'MODALITY', '-aec', 'KAKUTEI', '127.0.0.1', String(port), ...files]);
    assert.equal(code, 0, output);
    const stored = handlers.stored.slice(before);
    assert.equal(stored.length, 4);
    for (const s of stored) {
      assert.equal(s.request.transferSyntaxUid, EXPLICIT_LE);
      assert.ok(s.bytes.equals(datasets.get(s.request.sopInstanceUid)!), `dataset of ${s.request.sopInstanceUid} differs`);
    }
  });

  it('refuses echoscu calling another AE title (reason 7, called AE not recognized)', async () => {
    const { code } = await run('echoscu', ['-aet', 'MODALITY', '-aec', 'NOTKAKUTEI', '127.0.0.1', String(port)]);
    assert.notEqual(code, 0);
    assert.ok(handlers.events.some((e) => e.kind === 'rejected' && e.reason === 7 && e.source === 1 && e.result === 1));
  });

  describe('our SCU against storescp', () => {
    let scp: ChildProcess | null = null;
    let scpPort = 0;
    let outDir = '';

    before(async () => {
      outDir = await mkdtemp(join(tmpdir(), 'kakutei-storescp-'));
      scpPort = await freePort();
      scp = spawn('storescp', ['-aet', 'STORESCP', '-od', outDir, String(scpPort)], { stdio: 'ignore' });
    });
    after(async () => {
      scp?.kill();
      await rm(outDir, { recursive: true, force: true });
    });

    async function connect(): Promise<ScuAssociation> {
      for (let attempt = 0; ; attempt++) {
        const r = await ScuAssociation.connect({
          host: '127.0.0.1',
          port: scpPort,
          callingAeTitle: 'KAKUTEI',
          calledAeTitle: 'STORESCP',
          implementationClassUid: '1.2.826.0.1.3680043.10.1467.2',
          implementationVersionName: 'KAKUTEI_SCU',
          presentationContexts: [
            { abstractSyntaxUid: '1.2.840.10008.1.1', transferSyntaxUids: [IMPLICIT_LE] },
            { abstractSyntaxUid: CT_IMAGE_STORAGE, transferSyntaxUids: [EXPLICIT_LE] },
          ],
        });
        if (r.ok) return r.value;
        // storescp may still be starting.
        if (r.error.kind !== 'connect-failed' || attempt > 100) assert.fail(JSON.stringify(r.error));
        await delay(50);
      }
    }

    it('echoes and stores an object that storescp writes with the same dataset bytes', async () => {
      const scu = await connect();
      assert.deepEqual(await scu.echo(), { ok: true, value: { status: 0 } });
      const uid = '1.2.826.0.1.3680043.10.1467.98.1';
      const { dataset } = buildPart10(CT_IMAGE_STORAGE, uid, 400_000);
      const r = await scu.store({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: uid, transferSyntaxUid: EXPLICIT_LE, dataset });
      assert.deepEqual(r, { ok: true, value: { status: 0 } });
      assert.ok((await scu.release()).ok);
      let names: string[] = [];
      for (let i = 0; i < 100 && names.length === 0; i++) {
        names = await readdir(outDir);
        if (names.length === 0) await delay(20);
      }
      assert.equal(names.length, 1);
      const written = await readFile(join(outDir, names[0]!));
      assert.ok(datasetOfPart10(written).equals(dataset));
    });
  });
});

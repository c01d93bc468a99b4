import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { acknowledgedFiles, storescu } from '../testing/dcmtk.js';
import { makeCtSeries } from '../testing/fixtures/index.js';
import { startKakuteiProcess } from '../testing/server-process.js';
import { requireTools } from '../testing/tools.js';

const ADDRESS_SPACE_BYTES = 2 * 1024 * 1024 * 1024;

// Node reserves ≈ 10 GiB of address space per WebAssembly memory (guard regions), and the server
// makes several (image codecs, the aligned write buffers): under `ulimit -v` it needs the option
// the README gives. This proves that option is enough, for start-up and for storing.
describe('the server under an address-space limit', () => {
  it('starts and stores within 2 GiB of address space with --disable-wasm-trap-handler', { timeout: 120_000 }, async (t) => {
    if (!requireTools(t, 'prlimit', 'storescu', 'dump2dcm')) return;
    const work = mkdtempSync(join(tmpdir(), 'kakutei-as-'));
    try {
      // 512 × 512 slices: two write buffers each, cut from WebAssembly memory.
      const files = await makeCtSeries(join(work, 'ct'), 6, { rows: 512, cols: 512 });
      const dataDir = join(work, 'data');
      const server = await startKakuteiProcess({
        dataDir,
        wrapper: ['prlimit', `--as=${ADDRESS_SPACE_BYTES}`],
        env: { NODE_OPTIONS: '--disable-wasm-trap-handler' },
        startTimeoutMs: 60_000,
      });
      const result = await storescu(server.dicomPort, files);
      assert.equal(await server.stop(), 0, 'stopped cleanly');
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(acknowledgedFiles(result.stdout + result.stderr).length, files.length);
      const objectsDir = join(dataDir, 'objects', 'sha256');
      const stored = readdirSync(objectsDir).flatMap((fanOut) => readdirSync(join(objectsDir, fanOut)));
      assert.equal(stored.length, files.length);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { acknowledgedFiles, storescu } from '../testing/dcmtk.js';
import { makeCtSeries } from '../testing/fixtures/index.js';
import { startKakuteiProcess } from '../testing/server-process.js';
import { requireTools } from '../testing/tools.js';

const GIB = 1024 * 1024 * 1024;

// Node reserves ≈ 10 GiB of address space per WebAssembly memory (guard regions). Under `ulimit -v`
// the server must still start and store: with the option the README gives, its WebAssembly memories
// (aligned write buffers, image codecs) fit; without it, none does, and the store falls back to
// plain buffers written through the page cache.
describe('the server under an address-space limit', () => {
  for (const { limitGiB, nodeOptions, why } of [
    { limitGiB: 2, nodeOptions: '--disable-wasm-trap-handler', why: 'the write buffers cut from WebAssembly memory' },
    // Without the option no WebAssembly memory fits: the write buffers are plain ones, written through the page cache.
    { limitGiB: 4, nodeOptions: '', why: 'plain write buffers, WebAssembly memory refused' },
  ]) {
    it(`starts and stores within ${limitGiB} GiB of address space${nodeOptions === '' ? '' : ` with ${nodeOptions}`} (${why})`, { timeout: 120_000 }, async (t) => {
      if (!requireTools(t, 'prlimit', 'storescu', 'dump2dcm')) return;
      const work = mkdtempSync(join(tmpdir(), 'kakutei-as-'));
      try {
        // 512 × 512 slices: two full write buffers each.
        const files = await makeCtSeries(join(work, 'ct'), 6, { rows: 512, cols: 512 });
        const dataDir = join(work, 'data');
        const server = await startKakuteiProcess({
          dataDir,
          wrapper: ['prlimit', `--as=${limitGiB * GIB}`],
          env: { NODE_OPTIONS: nodeOptions },
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
  }
});

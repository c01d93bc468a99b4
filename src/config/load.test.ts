import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from './load.js';

describe('loadConfig', () => {
  it('gives the documented defaults with nothing set', () => {
    const result = loadConfig({}, {});
    assert.ok(result.ok);
    assert.equal(result.value.http.port, 8080);
    assert.equal(result.value.dicom.port, 11112);
    assert.equal(result.value.dicom.aeTitle, 'KAKUTEI');
    assert.equal(result.value.databaseUrl, null);
    assert.ok(result.value.dataDir.endsWith('/data'));
  });

  it('accepts the commented sample configuration as it ships', () => {
    const result = loadConfig({ configFile: 'config/kakutei.sample.yaml' }, {});
    assert.ok(result.ok, JSON.stringify(!result.ok && result.error));
    assert.deepEqual(result.value, (loadConfig({}, {}) as { value: unknown }).value);
  });

  it('applies flag > environment > file > default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kakutei-config-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ http: { port: 1000 }, dicom: { port: 2000, aeTitle: 'FROMFILE' } }));
      const env = { KAKUTEI_CONFIG: file, KAKUTEI_DICOM_PORT: '3000', KAKUTEI_AE_TITLE: 'FROMENV' };
      const result = loadConfig({ aeTitle: 'FROMFLAG' }, env);
      assert.ok(result.ok);
      assert.equal(result.value.http.port, 1000);
      assert.equal(result.value.dicom.port, 3000);
      assert.equal(result.value.dicom.aeTitle, 'FROMFLAG');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports every problem at once', () => {
    const result = loadConfig({}, { KAKUTEI_HTTP_PORT: 'eighty', KAKUTEI_AE_TITLE: 'WAY_TOO_LONG_AE_TITLE', KAKUTEI_DICOM_PORT: '70000' });
    assert.ok(!result.ok);
    const paths = result.error.map((problem) => problem.path).sort();
    assert.ok(paths.includes('KAKUTEI_HTTP_PORT'));
    assert.ok(paths.includes('dicom.aeTitle'));
    assert.ok(paths.includes('dicom.port'));
  });

  it('rejects unknown keys, so that a misspelt option is not silently ignored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kakutei-config-'));
    try {
      const file = join(dir, 'c.yaml');
      writeFileSync(file, 'dicom:\n  aetitle: TYPO\n');
      const result = loadConfig({ configFile: file }, {});
      assert.ok(!result.ok);
      assert.match(result.error[0]?.message ?? '', /unrecognized/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

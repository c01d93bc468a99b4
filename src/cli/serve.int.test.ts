import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const CLI = fileURLToPath(new URL('./kakutei.js', import.meta.url));

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

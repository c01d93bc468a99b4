/**
 * `kakutei user add` and `kakutei peer add|list|remove` as real processes (INTERFACES.md), against
 * a SQLite data directory: exit codes, the password read from stdin only, audit events written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../index/index.js';
import { silentIndexLogger } from '../index/testing/test-databases.js';

const KAKUTEI = fileURLToPath(new URL('./kakutei.cjs', import.meta.url));

function run(args: readonly string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    for (const name of ['KAKUTEI_CONFIG', 'KAKUTEI_DATABASE_URL', 'KAKUTEI_DATA_DIR']) delete env[name];
    const child = spawn(process.execPath, [KAKUTEI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('kakutei user / peer (processes)', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kakutei-cli-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('user add creates a user from a stdin password, with its audit event', async () => {
    const password = 'a long enough password';
    const added = await run(['user', 'add', '--username', 'yamada', '--role', 'physician', '--role', 'auditor', '--name', '山田 太郎', '--kana', 'ヤマダ タロウ', '--password-stdin', '--data', dataDir], `${password}\n`);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /created user yamada/);
    assert.ok(!added.stdout.includes(password) && !added.stderr.includes(password));
    const database = await openDatabase(join(dataDir, 'kakutei.sqlite'), silentIndexLogger);
    try {
      const user = await database.kysely.selectFrom('users').selectAll().where('login_name', '=', 'yamada').executeTakeFirstOrThrow();
      assert.equal(user.roles, 'physician,auditor');
      assert.equal(user.display_name, '山田 太郎');
      assert.equal(user.must_change_password, 1);
      assert.match(user.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      const events = await database.kysely.selectFrom('audit_events').select(['action', 'detail_json']).where('action', '=', 'user-change').execute();
      assert.equal(events.length, 1);
      assert.ok(!(events[0]?.detail_json ?? '').includes(password));
    } finally {
      await database.close();
    }
  });

  it('user add: wrong usage exits 2, a duplicate or weak password exits non-zero', async () => {
    assert.equal((await run(['user', 'add', '--username', 'x', '--password-stdin', '--data', dataDir], 'long enough password\n')).code, 2);
    assert.equal((await run(['user', 'add', '--username', 'x', '--role', 'admin', '--data', dataDir])).code, 2, '--password-stdin is required');
    assert.equal((await run(['user', 'add', '--username', 'x', '--role', 'root', '--password-stdin', '--data', dataDir], 'long enough password\n')).code, 2);
    assert.equal((await run(['user', 'add', '--username', 'yamada', '--role', 'admin', '--password-stdin', '--data', dataDir], 'long enough password\n')).code, 1);
    assert.equal((await run(['user', 'add', '--username', 'z', '--role', 'admin', '--password-stdin', '--data', dataDir], 'short\n')).code, 1);
  });

  it('peer add, list, remove', async () => {
    const added = await run(['peer', 'add', '--ae-title', 'CT01', '--host', '10.0.0.5', '--port', '104', '--name', 'CT room 1', '--allow', 'echo,store', '--data', dataDir]);
    assert.equal(added.code, 0, added.stderr);
    assert.equal((await run(['peer', 'add', '--ae-title', 'ANY', '--allow', 'query,retrieve', '--data', dataDir])).code, 0);
    const listed = await run(['peer', 'list', '--data', dataDir]);
    assert.equal(listed.code, 0);
    assert.deepEqual(listed.stdout.trim().split('\n'), ['ANY\t*\t-\tquery,retrieve\tdatabase\t', 'CT01\t10.0.0.5\t104\techo,store\tdatabase\tCT room 1']);
    assert.equal((await run(['peer', 'add', '--ae-title', 'CT01', '--allow', 'echo', '--data', dataDir])).code, 1, 'duplicate');
    assert.equal((await run(['peer', 'add', '--ae-title', 'X', '--allow', 'delete', '--data', dataDir])).code, 2);
    assert.equal((await run(['peer', 'add', '--ae-title', 'X', '--data', dataDir])).code, 2);
    assert.equal((await run(['peer', 'remove', 'CT01', '--data', dataDir])).code, 0);
    assert.equal((await run(['peer', 'remove', 'CT01', '--data', dataDir])).code, 1);
    assert.equal((await run(['peer', 'list', '--data', dataDir])).stdout, 'ANY\t*\t-\tquery,retrieve\tdatabase\t\n');
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeDirectoryDurably } from './durable-file.js';

describe('directories made durably', () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kakutei-durable-dir-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  /** Makes `path` (relative to base) and returns the directories synced, relative to base ('' is base). */
  async function make(path: string): Promise<string[]> {
    const synced: string[] = [];
    await makeDirectoryDurably(join(base, path), 0o700, (dir) => {
      synced.push(relative(base, dir));
      return Promise.resolve();
    });
    return synced;
  }

  it('syncs the parent of every directory it made, deepest first, and nothing above the first', async () => {
    assert.deepEqual(await make('a/b/c'), ['a/b', 'a', '']);
    assert.ok((await stat(join(base, 'a/b/c'))).isDirectory());
  });

  it('syncs only the parent of the one directory it made under existing ones', async () => {
    assert.deepEqual(await make('a/b/d'), ['a/b']);
  });

  it('syncs nothing when the directory exists', async () => {
    assert.deepEqual(await make('a/b/c'), []);
  });

  it('makes new directories with the mode asked for', async () => {
    await make('private/inner');
    assert.equal((await stat(join(base, 'private/inner'))).mode & 0o777, 0o700);
  });

  it('really syncs with the default (a real directory, no error), and fails for a path under a file', async () => {
    await makeDirectoryDurably(join(base, 'real/one'), 0o750);
    assert.ok((await stat(join(base, 'real/one'))).isDirectory());
    await writeFile(join(base, 'file'), 'x');
    await assert.rejects(makeDirectoryDurably(join(base, 'file/under'), 0o700), { code: 'ENOTDIR' });
    assert.equal(await readFile(join(base, 'file'), 'utf8'), 'x');
  });
});

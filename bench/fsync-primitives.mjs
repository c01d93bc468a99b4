// What one durable object costs the disk, primitive by primitive, without any server: the figures
// behind the layout question of issue 2 (does a per-object file need a journal commit?).
//
//   node bench/fsync-primitives.mjs [--dir <dir on the disk to measure>] [--objects 300] [--bytes 526336]
//
// Measured per object (ms, averages), synchronous calls so that no thread-pool hand-off is counted:
//   new file   fdatasync of a newly created file after its write (block allocation: a journal commit)
//   link+dir   link(2) of that file under a new name, then fsync of the directory (another commit)
//   prezeroed  the same bytes written over a region already zero-filled and flushed, then
//              fdatasync (no metadata changes: data and a cache flush only)
//   8 KiB      an 8 KiB overwrite + fdatasync (what a SQLite WAL commit that does not grow costs)
import { closeSync, fdatasyncSync, fsyncSync, linkSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { dir: { type: 'string', default: '.' }, objects: { type: 'string', default: '300' }, bytes: { type: 'string', default: String(512 * 1024 + 2048) } },
});
const count = Number(values.objects);
const bytes = Number(values.bytes);
const work = mkdtempSync(join(values.dir, 'kakutei-fsync-'));
const data = Buffer.alloc(bytes, 7);
const zeros = Buffer.alloc(bytes);
const dirFd = openSync(work, constants.O_RDONLY | constants.O_DIRECTORY);
const time = (run) => {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
};
const totals = { newFile: 0, linkDir: 0, prezeroed: 0, small: 0 };
try {
  for (let i = 0; i < count; i++) {
    const temp = join(work, `t${i}`);
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    writeSync(fd, data);
    totals.newFile += time(() => fdatasyncSync(fd));
    totals.linkDir += time(() => {
      linkSync(temp, join(work, `o${i}`));
      fsyncSync(dirFd);
    });
    closeSync(fd);
    unlinkSync(temp);
  }
  const segment = openSync(join(work, 'segment'), constants.O_RDWR | constants.O_CREAT, 0o644);
  for (let i = 0; i < count; i++) writeSync(segment, zeros, 0, bytes, i * bytes);
  fsyncSync(segment);
  fsyncSync(dirFd);
  for (let i = 0; i < count; i++) {
    writeSync(segment, data, 0, bytes, i * bytes);
    totals.prezeroed += time(() => fdatasyncSync(segment));
  }
  for (let i = 0; i < count; i++) {
    writeSync(segment, data, 0, 8192, (i % 4) * 8192);
    totals.small += time(() => fdatasyncSync(segment));
  }
  closeSync(segment);
} finally {
  closeSync(dirFd);
  rmSync(work, { recursive: true, force: true });
}
const ms = (total) => (total / count).toFixed(3);
console.log(`objects ${count} × ${bytes} bytes in ${values.dir}`);
console.log(`new file fdatasync ${ms(totals.newFile)} ms · link + directory fsync ${ms(totals.linkDir)} ms · ` + `pre-zeroed region fdatasync ${ms(totals.prezeroed)} ms · 8 KiB overwrite fdatasync ${ms(totals.small)} ms`);

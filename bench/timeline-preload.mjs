// Preloaded into `kakutei serve` by store-timeline.mjs (`node --import`): records when each file
// operation of the store path starts and ends and when socket data arrives or a C-STORE response
// leaves, and writes them as JSON to $KAKUTEI_BENCH_TIMELINE when the process exits. A measuring
// aid, not part of the server: it patches `node:fs` and `net.Socket` in place.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const out = process.env.KAKUTEI_BENCH_TIMELINE;
const events = [];
const now = () => performance.now();

// Which file a descriptor is, from the path it was opened with.
const pathOfFd = new Map();
const originalOpen = fs.open;
fs.open = function open(path, ...rest) {
  const callback = rest[rest.length - 1];
  rest[rest.length - 1] = function opened(error, fd) {
    if (!error) pathOfFd.set(fd, String(path));
    return callback.call(this, error, fd);
  };
  return originalOpen.call(this, path, ...rest);
};
const kindOf = (fd) => {
  const path = pathOfFd.get(fd) ?? '';
  if (path.endsWith('-wal')) return 'wal';
  if (path.includes('/objects/tmp/')) return 'temp';
  if (path.includes('/objects/sha256')) return 'dir';
  return 'other';
};

// [operation, file kind, start ms, end ms] for each completed asynchronous call.
const timed = (name, kind) => {
  const original = fs[name];
  fs[name] = function timedCall(...args) {
    const callback = args[args.length - 1];
    if (typeof callback === 'function') {
      const started = now();
      const what = kind(args);
      args[args.length - 1] = function done(...results) {
        events.push([name, what, started, now()]);
        return callback.apply(this, results);
      };
    }
    return original.apply(this, args);
  };
};
timed('write', (args) => kindOf(args[0]));
timed('fdatasync', (args) => kindOf(args[0]));
timed('fsync', (args) => kindOf(args[0]));
timed('link', () => 'object');
syncBuiltinESMExports();

const originalEmit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function emit(name, ...args) {
  if (name !== 'data' || this.remotePort === undefined) return originalEmit.call(this, name, ...args);
  // [event, kind, arrival, end of its synchronous handling, bytes, peer port]
  const arrived = now();
  const result = originalEmit.call(this, name, ...args);
  events.push(['data', 'socket', arrived, now(), args[0]?.length ?? 0, this.remotePort]);
  return result;
};
const originalWrite = net.Socket.prototype.write;
net.Socket.prototype.write = function write(chunk, ...rest) {
  // A DIMSE response: a short P-DATA-TF PDU (type 0x04).
  if (this.remotePort !== undefined && chunk instanceof Uint8Array && chunk[0] === 4 && chunk.length < 512) events.push(['response', 'socket', now(), now(), 0, this.remotePort]);
  return originalWrite.call(this, chunk, ...rest);
};

process.on('exit', () => {
  if (out !== undefined) fs.writeFileSync(out, JSON.stringify(events));
});

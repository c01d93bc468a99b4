#!/usr/bin/env node
// The `kakutei` executable. It is CommonJS for one reason: libuv's thread pool (4 threads unless
// UV_THREADPOOL_SIZE says otherwise) runs every fsync, and an fsync holds its thread for the disk's
// whole flush. With several associations storing at once, four threads in fsync queue every other
// file operation behind them (measured: with four associations each link and flush waited 1.3-1.5×
// longer). The size is read once, when the pool starts, and Node's ES module loader starts it
// itself by reading the entry module's source: set from an ES module, it comes too late. A
// CommonJS entry is read synchronously, so the size set here holds when the commands load.
process.env['UV_THREADPOOL_SIZE'] ||= '16';

import('./main.js').catch((cause: unknown) => {
  console.error(cause instanceof Error ? (cause.stack ?? cause.message) : String(cause));
  process.exitCode = 1;
});

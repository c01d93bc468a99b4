export { startServer } from './start-server.js';
export type { RunningServer, ServerOptions } from './start-server.js';

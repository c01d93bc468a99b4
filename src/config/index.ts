export { configSchema } from './schema.js';
export type { KakuteiConfig, ConfigInput } from './schema.js';
export { loadConfig } from './load.js';
export type { ConfigOverrides, ConfigProblem } from './load.js';
export { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './identity.js';

export { buildHttpApp } from './app.js';
export type { HealthReport, HttpDependencies } from './app.js';

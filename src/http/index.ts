export { buildHttpApp } from './app.js';
export type { HealthReport, HttpDependencies, HttpsMaterial, RegisteredRoute } from './app.js';
export type { HttpServices } from './services.js';
export { ACCESS_MATRIX, SUBJECTS, type Subject as MatrixSubject } from './access-matrix.js';

/**
 * The architecture, checked on every `npm test` (see ARCHITECTURE.md): the direction of imports
 * between domain folders, no cycles, and infrastructure libraries kept inside their adapters.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'dicom-is-a-toolkit',
      comment: 'dicom/ (Part 10, datasets, character sets, the upper layer) knows nothing of the product.',
      severity: 'error',
      from: { path: '^src/dicom/' },
      to: { path: '^src/(?!dicom/|errors/)' },
    },
    {
      name: 'storage-stands-alone',
      severity: 'error',
      from: { path: '^src/storage/' },
      to: { path: '^src/(?!storage/|errors/)' },
    },
    {
      name: 'core-free-of-adapters',
      comment: 'The domain core imports no HTTP, DIMSE network code, database or composition root.',
      severity: 'error',
      from: { path: '^src/(ingest|clock|config|errors)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/(http|dicom/net|index|server|cli)/' },
    },
    {
      name: 'index-holds-no-rules',
      severity: 'error',
      from: { path: '^src/index/' },
      to: { path: '^src/(http|dicom/net|server|cli)/' },
    },
    {
      name: 'http-only-from-composition',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(http|server|cli)/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'sql-drivers-only-in-index',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/index/' },
      to: { path: 'node_modules/(kysely|better-sqlite3|pg)/' },
    },
    {
      name: 'fastify-only-in-http',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/http/' },
      to: { path: 'node_modules/fastify' },
    },
    {
      name: 'test-support-only-in-tests',
      severity: 'error',
      from: { path: '^src/', pathNot: '(\\.test\\.ts$|^src/testing/|^src/index/testing/)' },
      to: { path: '^src/(testing|index/testing)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

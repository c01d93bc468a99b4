#!/usr/bin/env node
// Query comparison with Orthanc on the same data (issue 4 item 7): N small synthetic CT files (the
// patients, dates and accessions of query-data.mjs) are sent with storescu (4 associations) to
// Debian's Orthanc and to Kakutei (SQLite), each on fresh storage; then the study searches are
// timed: Orthanc's REST `POST /tools/find` (Level Study, Limit 100, Expand) and its C-FIND SCP
// (LimitFindResults 100), Kakutei's C-FIND (maxQueryMatches 100) and QIDO-RS when served.
// Orthanc binds every interface, so this runs in a private network namespace (loopback only);
// PostgreSQL is not reachable from there, so Kakutei runs on SQLite here. Run by hand:
//
//   node bench/query-orthanc.mjs [--instances 10000] [--runs 50] [--warmup 5] [--json FILE] [--keep]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureKakutei, openFind, startKakutei, stopProcess, timeRuns, writeKakuteiConfig } from './query-clients.mjs';
import { queriesFor, shapeOf, writeDicomFiles } from './query-data.mjs';
import { DCMTK_ENV, ensurePrivateNetwork, freePort, hasExecutable, LOOPBACK, sendFiles, startProcess, waitForEcho } from './lib.mjs';

const ORTHANC = '/usr/sbin/Orthanc';
const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '5' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const INSTANCES = Math.min(200_000, Math.max(100, Number(values.instances)));
const RUNS = Math.min(10_000, Math.max(5, Number(values.runs)));
const WARMUP = Math.min(1000, Math.max(0, Number(values.warmup)));
const progress = (text) => process.stderr.write(`${text}\n`);

if (!ensurePrivateNetwork(fileURLToPath(import.meta.url))) {
  progress('query-orthanc: no private network namespace (unshare --net needs root); Orthanc would bind every interface: skipped');
  process.exit(2);
}
if (!hasExecutable(ORTHANC)) {
  progress(`query-orthanc: ${ORTHANC} missing: skipped`);
  process.exit(2);
}

async function startOrthanc(dir) {
  const dicomPort = await freePort();
  const httpPort = await freePort();
  const config = {
    Name: 'bench-query',
    StorageDirectory: join(dir, 'orthanc-storage'),
    IndexDirectory: join(dir, 'orthanc-index'),
    StorageCompression: false,
    // Loading speed only; queries read the index (SQLite), not the files.
    SyncStorageArea: false,
    DicomAet: 'ORTHANC',
    DicomPort: dicomPort,
    HttpPort: httpPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: false,
    DicomAlwaysAllowStore: false,
    DicomModalities: { bench: ['BENCH', LOOPBACK, 104] },
    // The same first page as Kakutei's maxQueryMatches: 100.
    LimitFindResults: 100,
    LimitFindInstances: 100,
    Plugins: [],
  };
  const path = join(dir, 'orthanc.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  const proc = startProcess(ORTHANC, [path], join(dir, 'orthanc.log'), DCMTK_ENV);
  await waitForEcho(dicomPort, 'ORTHANC', proc);
  return { proc, dicomPort, httpPort };
}

async function orthancFind(httpPort, query) {
  const response = await fetch(`http://${LOOPBACK}:${httpPort}/tools/find`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Level: 'Study', Query: query, Limit: 100, Expand: true }),
  });
  if (!response.ok) throw new Error(`/tools/find: ${response.status}`);
  return (await response.json()).length;
}

async function measureOrthanc(orthanc) {
  const rows = [];
  const label = { server: 'Orthanc', dialect: 'sqlite', instances: INSTANCES };
  for (const query of queriesFor(INSTANCES)) {
    if (query.orthanc === null) continue;
    const timed = await timeRuns(() => orthancFind(orthanc.httpPort, query.orthanc), RUNS, WARMUP);
    rows.push({ ...label, interface: '/tools/find', query: query.label, ...timed });
    progress(`  Orthanc /tools/find ${query.label}: ${timed.matches} matches, p50 ${timed.p50.toFixed(1)} ms, p95 ${timed.p95.toFixed(1)} ms`);
  }
  const finder = await openFind(orthanc.dicomPort, 'ORTHANC');
  try {
    for (const query of queriesFor(INSTANCES)) {
      if (query.orthanc === null) continue;
      const timed = await timeRuns(async () => (await finder.find(query.find)).matches, RUNS, WARMUP);
      rows.push({ ...label, interface: 'C-FIND', query: query.label, ...timed });
      progress(`  Orthanc C-FIND ${query.label}: ${timed.matches} matches, p50 ${timed.p50.toFixed(1)} ms, p95 ${timed.p95.toFixed(1)} ms`);
    }
  } finally {
    await finder.close();
  }
  return rows;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'kakutei-bench-qo-'));
  try {
    const shape = shapeOf(INSTANCES);
    const files = await writeDicomFiles(join(dir, 'files'), INSTANCES);
    progress(`\n# Orthanc comparison: ${files.length} files, ${shape.studies} studies, ${shape.patients} patients (${dir})`);
    const rows = [];

    const orthanc = await startOrthanc(dir);
    try {
      const seconds = await sendFiles(orthanc.dicomPort, 'ORTHANC', files, 4);
      const stats = await (await fetch(`http://${LOOPBACK}:${orthanc.httpPort}/statistics`)).json();
      progress(`  Orthanc loaded ${stats.CountInstances} instances in ${seconds.toFixed(1)} s`);
      rows.push(...(await measureOrthanc(orthanc)));
    } finally {
      await stopProcess(orthanc.proc);
    }

    const data = join(dir, 'kakutei-data');
    mkdirSync(data);
    const config = await writeKakuteiConfig(dir, { allow: ['echo', 'store', 'query'] });
    const env = { ...process.env };
    delete env.KAKUTEI_DATABASE_URL;
    let server = await startKakutei(dir, data, config, env);
    try {
      const seconds = await sendFiles(config.dicomPort, 'KAKUTEI', files, 4);
      progress(`  Kakutei loaded ${files.length} instances in ${seconds.toFixed(1)} s`);
    } finally {
      await stopProcess(server);
    }
    const { addBenchUser } = await import('./query-clients.mjs');
    addBenchUser(data, config, env);
    server = await startKakutei(dir, data, config, env);
    try {
      rows.push(...(await measureKakutei({ runs: RUNS, warmup: WARMUP, dicomPort: config.dicomPort, httpPort: config.httpPort, instances: INSTANCES, label: { server: 'Kakutei', dialect: 'sqlite', instances: INSTANCES } })));
    } finally {
      await stopProcess(server);
    }

    const ratios = [];
    for (const query of queriesFor(INSTANCES)) {
      const of = (server, iface) => rows.find((r) => r.server === server && r.interface === iface && r.query === query.label);
      const kakuteiFind = of('Kakutei', 'C-FIND');
      const kakuteiQido = of('Kakutei', 'QIDO-RS');
      const orthancFindRow = of('Orthanc', 'C-FIND');
      const orthancRest = of('Orthanc', '/tools/find');
      if (orthancFindRow === undefined || kakuteiFind === undefined) continue;
      const ratio = (a, b) => (a?.p50 && b?.p50 ? `×${(a.p50 / b.p50).toFixed(2)}` : '—');
      ratios.push(`- ${query.label}: C-FIND Orthanc/Kakutei ${ratio(orthancFindRow, kakuteiFind)}; Orthanc /tools/find ÷ Kakutei QIDO-RS ${ratio(orthancRest, kakuteiQido)}; Orthanc /tools/find ÷ Kakutei C-FIND ${ratio(orthancRest, kakuteiFind)}`);
    }
    const result = { instances: INSTANCES, rows, ratios };
    if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(result, null, 2));
    else {
      for (const r of rows) console.log(`${r.server}\t${r.interface}\t${r.query}\t${r.matches}\t${r.p50?.toFixed(1)}\t${r.p95?.toFixed(1)}`);
      console.log(ratios.join('\n'));
    }
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();

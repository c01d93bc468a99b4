#!/usr/bin/env node
// Query benchmark through the running server (issue 4 item 7): C-FIND (Study Root, study level,
// our SCU, one association) and QIDO-RS study search, with access filters (a physician without
// grants; 1 study in 50 restricted) and auditing on, on 100 k and 1 M synthetic instances bulk-
// inserted into the server's own database before it starts, SQLite and PostgreSQL. Then Orthanc on
// a smaller set loaded over C-STORE (bench/query-orthanc.mjs, in a private network namespace).
// Not a test; run by hand after `npm run build`:
//
//   node bench/query-server.mjs [--instances 100000,1000000] [--dialects sqlite,postgres]
//        [--runs 50] [--warmup 5] [--orthanc 10000] [--keep]
//
// p50/p95 in ms of the time to the final response, first page of ≤ 100 (dicom.maxQueryMatches:
// 100; QIDO `limit=100`). Table on stdout, raw numbers in bench/out/query-server-*.json.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { addBenchUser, measureKakutei, startKakutei, stopProcess, writeKakuteiConfig } from './query-clients.mjs';
import { fillPostgres, fillSqlite } from './query-data.mjs';
import { writeJson } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '100000,1000000' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
    runs: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '5' },
    orthanc: { type: 'string', default: '10000' },
    server: { type: 'string', default: process.env.KAKUTEI_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    keep: { type: 'boolean', default: false },
  },
});
const RUNS = Math.min(10_000, Math.max(5, Number(values.runs)));
const WARMUP = Math.min(1000, Math.max(0, Number(values.warmup)));
const progress = (text) => process.stderr.write(`${text}\n`);

async function pgRaw(url, text) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

async function benchOne(dialect, instances) {
  const dir = mkdtempSync(join(tmpdir(), 'kakutei-bench-qs-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const env = { ...process.env };
  let database = null;
  if (dialect === 'postgres') {
    database = `kakutei_bench_${randomBytes(5).toString('hex')}`;
    await pgRaw(values.server, `create database ${database}`);
    const url = new URL(values.server);
    url.pathname = `/${database}`;
    env.KAKUTEI_DATABASE_URL = url.toString();
  }
  try {
    const config = await writeKakuteiConfig(dir);
    progress(`\n# ${dialect}, ${instances} instances (${dir}${database === null ? '' : `, database ${database}`})`);
    await stopProcess(await startKakutei(dir, data, config, env)); // runs the migrations
    addBenchUser(data, config, env);
    const t0 = performance.now();
    const shape = dialect === 'sqlite' ? fillSqlite(join(data, 'kakutei.sqlite'), instances) : await fillPostgres(env.KAKUTEI_DATABASE_URL, instances);
    const fillSeconds = (performance.now() - t0) / 1000;
    progress(`  filled ${shape.instances} instances, ${shape.studies} studies, ${shape.patients} patients in ${fillSeconds.toFixed(1)} s`);
    const server = await startKakutei(dir, data, config, env);
    try {
      return await measureKakutei({ runs: RUNS, warmup: WARMUP, dicomPort: config.dicomPort, httpPort: config.httpPort, instances, label: { server: 'Kakutei', dialect, instances, studies: shape.studies } });
    } finally {
      await stopProcess(server);
    }
  } finally {
    if (database !== null && !values.keep) await pgRaw(values.server, `drop database if exists ${database} with (force)`);
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

function table(rows) {
  const out = ['| server | database | instances | interface | query | matches | p50 ms | p95 ms |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const ms = (v) => (v === null || v === undefined ? '—' : v.toFixed(1));
    out.push(`| ${r.server} | ${r.dialect ?? '—'} | ${r.instances} | ${r.interface} | ${r.query} | ${r.matches ?? '—'} | ${ms(r.p50)} | ${ms(r.p95)} |`);
  }
  return out.join('\n');
}

async function main() {
  const rows = [];
  for (const instances of values.instances.split(',').map(Number).filter((n) => n >= 1000)) {
    for (const dialect of values.dialects.split(',')) rows.push(...(await benchOne(dialect, instances)));
  }
  const orthancInstances = Number(values.orthanc);
  let orthanc = null;
  if (orthancInstances > 0) {
    const json = join(mkdtempSync(join(tmpdir(), 'kakutei-bench-qo-')), 'result.json');
    const child = spawnSync(process.execPath, [join(HERE, 'query-orthanc.mjs'), '--instances', String(orthancInstances), '--runs', String(RUNS), '--warmup', String(WARMUP), '--json', json],
      { stdio: ['ignore', 'inherit', 'inherit'] });
    if (child.status === 0) {
      orthanc = (await import(json, { with: { type: 'json' } })).default;
      rows.push(...orthanc.rows);
    } else progress(`Orthanc comparison failed (exit ${child.status})`);
    rmSync(dirname(json), { recursive: true, force: true });
  }
  const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19);
  writeJson(resolve(HERE, 'out', `query-server-${stamp}.json`), { machine: { cpus: cpus().length, model: cpus()[0]?.model, memBytes: totalmem(), node: process.version }, runs: RUNS, warmup: WARMUP, rows, orthanc });
  console.log(table(rows));
  if (orthanc?.ratios) console.log(`\nRatios (Orthanc p50 / Kakutei p50, same ${orthancInstances} instances):\n${orthanc.ratios.join('\n')}`);
}

await main();

#!/usr/bin/env node
// Query benchmark (issue 4 item 7, first part): a first page of 100 studies (QIDO-RS / C-FIND
// study level, access filter on) by patient-name prefix, fuzzy name prefix, date range and
// accession number, on SQLite and PostgreSQL, with N synthetic instances (bench/query-data.mjs)
// bulk-inserted directly (not through `record`). Not a test; run by hand after `npm run build`:
//
//   node bench/query.mjs [--instances 100000] [--runs 50] [--dialects sqlite,postgres]
//
// Prints p50/p95 per query and the query plans (EXPLAIN QUERY PLAN / EXPLAIN), so that a query
// that does not use an index is seen.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../dist/index/database.js';
import { compileQuery } from '../dist/index/query-compile.js';
import { runQuery } from '../dist/index/query-run.js';
import { parseQidoQuery } from '../dist/query/index.js';
import { fillPostgres, fillSqlite } from './query-data.mjs';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '50' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
    server: { type: 'string', default: process.env.KAKUTEI_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const INSTANCES = Math.max(1000, Number(values.instances));
const RUNS = Math.max(5, Number(values.runs));
const logger = { info() {}, error() {} };
const SCOPE = { restricted: 'none', userId: null, unfinalized: false, breakGlass: false };

/** The data of query-data.mjs (shared with the server benchmarks), bulk-inserted into the migrated index. */
async function fill(db, count) {
  // SQLite: through a connection of its own while ours stays idle (WAL allows it).
  return db.dialect === 'postgres' ? fillPostgres(db.url, count) : fillSqlite(db.url, count);
}

async function pgRaw(url, text, params = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}

const QUERIES = {
  'name prefix': { PatientName: 'TAKA*' },
  'name prefix (selective)': { PatientName: 'YAMAZAKI^YUKI*' },
  'fuzzy name prefix (kana)': { PatientName: 'たかはし*', fuzzymatching: 'true' },
  'date range (1 month)': { StudyDate: '20230101-20230131' },
  accession: { AccessionNumber: 'ACC00001234' },
};

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function explain(db, query) {
  const compiled = compileQuery(db.kysely, db.dialect, query, SCOPE, { limit: 101, offset: 0 });
  const { sql, parameters } = compiled.value.compile();
  if (db.dialect === 'sqlite') {
    const raw = new BetterSqlite3(db.url, { readonly: true });
    try {
      return raw.prepare(`explain query plan ${sql}`).all(...parameters).map((r) => r.detail).join(' | ');
    } finally {
      raw.close();
    }
  }
  const result = await pgRaw(db.url, `explain ${sql}`, parameters);
  return result.rows.map((r) => r['QUERY PLAN'].trim()).join(' | ');
}

async function bench(dialect) {
  let db;
  let cleanup;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kakutei-bench-query-'));
    const path = join(dir, 'index.sqlite');
    db = await openDatabase({ sqlitePath: path }, logger);
    db.url = path;
    cleanup = async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); };
  } else {
    const name = `kakutei_bench_${randomBytes(5).toString('hex')}`;
    await pgRaw(values.server, `create database ${name}`);
    const url = new URL(values.server);
    url.pathname = `/${name}`;
    db = await openDatabase(url.toString(), logger);
    db.url = url.toString();
    cleanup = async () => { await db.close(); await pgRaw(values.server, `drop database if exists ${name} with (force)`); };
  }
  try {
    const started = performance.now();
    const counts = await fill(db, INSTANCES);
    console.log(`\n## ${dialect}: ${counts.instances} instances, ${counts.studies} studies, ${counts.patients} patients (filled in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    console.log('| query | matches on page | p50 ms | p95 ms |\n|---|---|---|---|');
    const plans = [];
    for (const [label, params] of Object.entries(QUERIES)) {
      const parsed = parseQidoQuery({ level: 'STUDY', params: { ...params, limit: '100' } });
      if (!parsed.ok) throw new Error(`parse ${label}: ${parsed.error.detail}`);
      const times = [];
      let found = 0;
      for (let run = 0; run < RUNS + 3; run++) {
        const t0 = performance.now();
        const result = await runQuery(db, parsed.value, SCOPE, { maxMatches: 1000 });
        const elapsed = performance.now() - t0;
        if (!result.ok) throw new Error(`run ${label}: ${result.error.detail}`);
        found = result.value.matches.length;
        if (run >= 3) times.push(elapsed);
      }
      times.sort((a, b) => a - b);
      console.log(`| ${label} | ${found} | ${percentile(times, 50).toFixed(2)} | ${percentile(times, 95).toFixed(2)} |`);
      plans.push(`- ${label}: ${await explain(db, parsed.value)}`);
    }
    console.log(`\nPlans (${dialect}):\n${plans.join('\n')}`);
  } finally {
    await cleanup();
  }
}

for (const dialect of values.dialects.split(',')) await bench(dialect);

#!/usr/bin/env node
// Query benchmark (issue 4 item 7, first part): a first page of 100 studies (QIDO-RS / C-FIND
// study level, access filter on) by patient-name prefix, fuzzy name prefix, date range and
// accession number, on SQLite and PostgreSQL, with N synthetic instances bulk-inserted directly
// (not through `record`). Not a test; run by hand after `npm run build`:
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
import { normalizedNameColumns } from '../dist/index/query-normalized-columns.js';
import { runQuery } from '../dist/index/query-run.js';
import { parseQidoQuery } from '../dist/query/index.js';

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
const INSTANCES_PER_SERIES = 10;
const SERIES_PER_STUDY = 2;
const STUDIES_PER_PATIENT = 2;
const BATCH = 500;
const logger = { info() {}, error() {} };
const SCOPE = { restricted: 'none', userId: null, unfinalized: false, breakGlass: false };

const FAMILY = [
  ['TAKAHASHI', '高橋', 'たかはし'], ['TAKAHASHI', '髙橋', 'タカハシ'], ['YAMADA', '山田', 'やまだ'], ['SATO', '佐藤', 'さとう'],
  ['SUZUKI', '鈴木', 'すずき'], ['TANAKA', '田中', 'たなか'], ['WATANABE', '渡辺', 'わたなべ'], ['WATANABE', '渡邊', 'ワタナベ'],
  ['ITO', '伊藤', 'いとう'], ['NAKAMURA', '中村', 'なかむら'], ['KOBAYASHI', '小林', 'こばやし'], ['SAITO', '斎藤', 'さいとう'],
  ['SAITO', '齋藤', 'サイトウ'], ['YAMAZAKI', '山﨑', 'やまざき'], ['KATO', '加藤', 'かとう'], ['YOSHIDA', '吉田', 'よしだ'],
];
const GIVEN = [['TARO', '太郎', 'たろう'], ['HANAKO', '花子', 'はなこ'], ['ICHIRO', '一郎', 'いちろう'], ['YUKI', '由紀', 'ゆき'], ['KEN', '健', 'けん']];
const MODALITIES = ['CT', 'MR', 'CR', 'US', 'DX'];

function pick(list, n) {
  return list[n % list.length];
}

function dateOf(n) {
  const day = new Date(Date.UTC(2015, 0, 1) + (n % 3650) * 86_400_000);
  return day.toISOString().slice(0, 10).replaceAll('-', '');
}

async function fill(db, count) {
  const k = db.kysely;
  const studies = Math.ceil(count / (INSTANCES_PER_SERIES * SERIES_PER_STUDY));
  const patients = Math.ceil(studies / STUDIES_PER_PATIENT);
  const now = new Date().toISOString();
  const insert = async (table, rows) => {
    for (let i = 0; i < rows.length; i += BATCH) await k.insertInto(table).values(rows.slice(i, i + BATCH)).execute();
  };
  await k.transaction().execute(async (trx) => {
    const rows = [];
    for (let p = 1; p <= patients; p++) {
      const f = pick(FAMILY, p * 7);
      const g = pick(GIVEN, p * 3);
      const name = { alphabetic: `${f[0]}^${g[0]}`, ideographic: `${f[1]}^${g[1]}`, phonetic: `${f[2]}^${g[2]}` };
      const norm = normalizedNameColumns(name);
      rows.push({
        id: p, patient_id: `PID${String(p).padStart(8, '0')}`, issuer_of_patient_id: '', name_alphabetic: name.alphabetic, name_ideographic: name.ideographic,
        name_phonetic: name.phonetic, name_alphabetic_norm: norm.alphabetic, name_ideographic_norm: norm.ideographic, name_phonetic_norm: norm.phonetic,
        sex: p % 2 ? 'M' : 'F', birth_date: dateOf(p * 13), created_at: now,
      });
    }
    for (let i = 0; i < rows.length; i += BATCH) await trx.insertInto('patients').values(rows.slice(i, i + BATCH)).execute();
  });
  let instanceId = 0;
  for (let s0 = 1; s0 <= studies; s0 += 1000) {
    await k.transaction().execute(async (trx) => {
      const studyRows = [];
      const seriesRows = [];
      const instanceRows = [];
      for (let s = s0; s < Math.min(s0 + 1000, studies + 1); s++) {
        studyRows.push({
          id: s, study_instance_uid: `1.2.826.0.1.3680043.10.1.${s}`, patient_fk: ((s - 1) % patients) + 1, study_date: dateOf(s), study_time: '101500',
          accession_number: `ACC${String(s).padStart(8, '0')}`, study_description: 'BENCH', created_at: now, updated_at: now,
          confidentiality: s % 50 === 0 ? 'restricted' : 'normal',
        });
        for (let e = 0; e < SERIES_PER_STUDY; e++) {
          const seriesId = (s - 1) * SERIES_PER_STUDY + e + 1;
          seriesRows.push({ id: seriesId, series_instance_uid: `1.2.826.0.1.3680043.10.2.${seriesId}`, study_fk: s, modality: pick(MODALITIES, s + e), series_number: e + 1, created_at: now });
          for (let n = 0; n < INSTANCES_PER_SERIES && instanceId < count; n++) {
            instanceId++;
            instanceRows.push({
              id: instanceId, sop_instance_uid: `1.2.826.0.1.3680043.10.3.${instanceId}`, series_fk: seriesId, sop_class_uid: '1.2.840.10008.5.1.4.1.1.2',
              transfer_syntax_uid: '1.2.840.10008.1.2.1', instance_number: n + 1, lossy: 0, object_key: `k${instanceId}`, sha256: `h${instanceId}`,
              dataset_bytes: 1000, file_bytes: 1200, received_at: now, source_via: 'dimse', has_faults: 0,
            });
          }
        }
      }
      const into = async (table, rows) => {
        for (let i = 0; i < rows.length; i += BATCH) await trx.insertInto(table).values(rows.slice(i, i + BATCH)).execute();
      };
      await into('studies', studyRows);
      await into('series', seriesRows);
      await into('instances', instanceRows);
    });
  }
  if (db.dialect === 'postgres') {
    for (const table of ['patients', 'studies', 'series', 'instances']) {
      await pgRaw(db.url, `select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`);
    }
    await pgRaw(db.url, 'analyze');
  } else {
    const raw = new BetterSqlite3(db.url);
    raw.exec('analyze');
    raw.close();
  }
  return { patients, studies, instances: instanceId };
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

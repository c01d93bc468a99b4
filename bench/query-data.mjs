// Synthetic query data for the query benchmarks: the same patients, studies, series and instances
// as `query.mjs` (same name table, same date and accession formulas), as index rows bulk-inserted
// into a server's own database (SQLite through better-sqlite3, PostgreSQL through `unnest` arrays),
// or as small DICOM files (8 × 8 CT slices) to load Orthanc and Kakutei over C-STORE.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { normalizedNameColumns } from '../dist/index/query-normalized-columns.js';

export const INSTANCES_PER_SERIES = 10;
export const SERIES_PER_STUDY = 2;
export const STUDIES_PER_PATIENT = 2;
/** One study in this many is `restricted` (no grant for the bench user: the access filter hides it). */
export const RESTRICTED_EVERY = 50;

const FAMILY = [
  ['TAKAHASHI', '高橋', 'たかはし'], ['TAKAHASHI', '髙橋', 'タカハシ'], ['YAMADA', '山田', 'やまだ'], ['SATO', '佐藤', 'さとう'],
  ['SUZUKI', '鈴木', 'すずき'], ['TANAKA', '田中', 'たなか'], ['WATANABE', '渡辺', 'わたなべ'], ['WATANABE', '渡邊', 'ワタナベ'],
  ['ITO', '伊藤', 'いとう'], ['NAKAMURA', '中村', 'なかむら'], ['KOBAYASHI', '小林', 'こばやし'], ['SAITO', '斎藤', 'さいとう'],
  ['SAITO', '齋藤', 'サイトウ'], ['YAMAZAKI', '山﨑', 'やまざき'], ['KATO', '加藤', 'かとう'], ['YOSHIDA', '吉田', 'よしだ'],
];
const GIVEN = [['TARO', '太郎', 'たろう'], ['HANAKO', '花子', 'はなこ'], ['ICHIRO', '一郎', 'いちろう'], ['YUKI', '由紀', 'ゆき'], ['KEN', '健', 'けん']];
const MODALITIES = ['CT', 'MR', 'CR', 'US', 'DX'];
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

const pick = (list, n) => list[n % list.length];

export function dateOf(n) {
  const day = new Date(Date.UTC(2015, 0, 1) + (n % 3650) * 86_400_000);
  return day.toISOString().slice(0, 10).replaceAll('-', '');
}

export function shapeOf(instances) {
  const studies = Math.ceil(instances / (INSTANCES_PER_SERIES * SERIES_PER_STUDY));
  return { instances, studies, patients: Math.ceil(studies / STUDIES_PER_PATIENT) };
}

export function patientOf(p) {
  const f = pick(FAMILY, p * 7);
  const g = pick(GIVEN, p * 3);
  return {
    patientId: `PID${String(p).padStart(8, '0')}`,
    name: { alphabetic: `${f[0]}^${g[0]}`, ideographic: `${f[1]}^${g[1]}`, phonetic: `${f[2]}^${g[2]}` },
    sex: p % 2 ? 'M' : 'F',
    birthDate: dateOf(p * 13),
  };
}

export function studyOf(s, patients) {
  return {
    uid: `1.2.826.0.1.3680043.10.1.${s}`,
    patient: ((s - 1) % patients) + 1,
    date: dateOf(s),
    accession: `ACC${String(s).padStart(8, '0')}`,
    restricted: s % RESTRICTED_EVERY === 0,
  };
}

const seriesUid = (id) => `1.2.826.0.1.3680043.10.2.${id}`;
const instanceUid = (id) => `1.2.826.0.1.3680043.10.3.${id}`;

// Column lists per table, with the PostgreSQL array type used by `unnest`.
const COLUMNS = {
  patients: [['id', 'bigint'], ['patient_id', 'text'], ['issuer_of_patient_id', 'text'], ['name_alphabetic', 'text'], ['name_ideographic', 'text'], ['name_phonetic', 'text'],
    ['name_alphabetic_norm', 'text'], ['name_ideographic_norm', 'text'], ['name_phonetic_norm', 'text'], ['sex', 'text'], ['birth_date', 'text'], ['created_at', 'text']],
  studies: [['id', 'bigint'], ['study_instance_uid', 'text'], ['patient_fk', 'bigint'], ['study_id', 'text'], ['study_date', 'text'], ['study_time', 'text'], ['accession_number', 'text'],
    ['study_description', 'text'], ['created_at', 'text'], ['updated_at', 'text'], ['confidentiality', 'text']],
  series: [['id', 'bigint'], ['series_instance_uid', 'text'], ['study_fk', 'bigint'], ['modality', 'text'], ['series_number', 'integer'], ['created_at', 'text']],
  instances: [['id', 'bigint'], ['sop_instance_uid', 'text'], ['series_fk', 'bigint'], ['sop_class_uid', 'text'], ['transfer_syntax_uid', 'text'], ['instance_number', 'integer'],
    ['lossy', 'integer'], ['rows', 'integer'], ['columns', 'integer'], ['object_key', 'text'], ['sha256', 'text'], ['dataset_bytes', 'bigint'], ['file_bytes', 'bigint'],
    ['received_at', 'text'], ['source_via', 'text'], ['has_faults', 'integer']],
};

/**
 * Yields row batches `{ table, rows }` (rows as value arrays in COLUMNS order): all patients, then
 * studies with their series and instances, `batchStudies` studies at a time.
 */
function* rowBatches(instances, batchStudies = 2000) {
  const { studies, patients } = shapeOf(instances);
  const now = new Date().toISOString();
  const normCache = new Map();
  let batch = [];
  for (let p = 1; p <= patients; p++) {
    const patient = patientOf(p);
    const key = patient.name.alphabetic + patient.name.ideographic;
    if (!normCache.has(key)) normCache.set(key, normalizedNameColumns(patient.name));
    const norm = normCache.get(key);
    batch.push([p, patient.patientId, '', patient.name.alphabetic, patient.name.ideographic, patient.name.phonetic, norm.alphabetic, norm.ideographic, norm.phonetic,
      patient.sex, patient.birthDate, now]);
    if (batch.length === 10_000) {
      yield { table: 'patients', rows: batch };
      batch = [];
    }
  }
  if (batch.length > 0) yield { table: 'patients', rows: batch };
  let instanceId = 0;
  for (let s0 = 1; s0 <= studies; s0 += batchStudies) {
    const studyRows = [];
    const seriesRows = [];
    const instanceRows = [];
    for (let s = s0; s < Math.min(s0 + batchStudies, studies + 1); s++) {
      const study = studyOf(s, patients);
      studyRows.push([s, study.uid, study.patient, String(s), study.date, '101500', study.accession, 'BENCH', now, now, study.restricted ? 'restricted' : 'normal']);
      for (let e = 0; e < SERIES_PER_STUDY; e++) {
        const seriesId = (s - 1) * SERIES_PER_STUDY + e + 1;
        seriesRows.push([seriesId, seriesUid(seriesId), s, pick(MODALITIES, s + e), e + 1, now]);
        for (let n = 0; n < INSTANCES_PER_SERIES && instanceId < instances; n++) {
          instanceId++;
          instanceRows.push([instanceId, instanceUid(instanceId), seriesId, CT_IMAGE_STORAGE, EXPLICIT_LE, n + 1, 0, 512, 512, `k${instanceId}`, `h${instanceId}`, 1000, 1200, now, 'dimse', 0]);
        }
      }
    }
    yield { table: 'studies', rows: studyRows };
    yield { table: 'series', rows: seriesRows };
    yield { table: 'instances', rows: instanceRows };
  }
}

/** Bulk insert into a migrated Kakutei SQLite index (the server must not be running). */
export function fillSqlite(path, instances) {
  const db = new BetterSqlite3(path);
  try {
    db.pragma('synchronous = OFF');
    const statements = {};
    for (const [table, columns] of Object.entries(COLUMNS)) {
      statements[table] = db.prepare(`insert into ${table} (${columns.map((c) => `"${c[0]}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`);
    }
    const insertBatch = db.transaction((table, rows) => {
      for (const row of rows) statements[table].run(row);
    });
    for (const { table, rows } of rowBatches(instances)) insertBatch(table, rows);
    db.exec('analyze');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return shapeOf(instances);
}

/** Bulk insert into a migrated Kakutei PostgreSQL database, then reset the identity sequences and analyze. */
export async function fillPostgres(url, instances) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const { table, rows } of rowBatches(instances)) {
      const columns = COLUMNS[table];
      for (let i = 0; i < rows.length; i += 20_000) {
        const slice = rows.slice(i, i + 20_000);
        const arrays = columns.map((_, c) => slice.map((row) => row[c]));
        await client.query(
          `insert into ${table} (${columns.map((c) => `"${c[0]}"`).join(', ')}) select * from unnest(${columns.map((c, n) => `$${n + 1}::${c[1]}[]`).join(', ')})`,
          arrays,
        );
      }
    }
    for (const table of Object.keys(COLUMNS)) {
      await client.query(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`);
    }
    await client.query('analyze');
  } finally {
    await client.end();
  }
  return shapeOf(instances);
}

/**
 * The same data as DICOM files (Part 10, explicit VR LE, 8 × 8 CT slices), for servers loaded over
 * C-STORE. Patient names carry all three component groups in UTF-8 (ISO_IR 192). Returns the paths.
 */
export async function writeDicomFiles(dir, instances) {
  const { ctImage } = await import('../dist/testing/fixtures/iods.js');
  const { encodePart10 } = await import('../dist/testing/fixtures/part10-writer.js');
  const { studies, patients } = shapeOf(instances);
  const pixels = { rows: 8, columns: 8, bitsAllocated: 16, bitsStored: 12, photometric: 'MONOCHROME2', pixels: Buffer.alloc(128) };
  const fixtureDate = Buffer.from('20240415', 'latin1');
  mkdirSync(dir, { recursive: true });
  const paths = [];
  let instanceId = 0;
  for (let s = 1; s <= studies && instanceId < instances; s++) {
    const study = studyOf(s, patients);
    const patient = patientOf(study.patient);
    const name = Buffer.from(`${patient.name.alphabetic}=${patient.name.ideographic}=${patient.name.phonetic}`, 'utf8');
    for (let e = 0; e < SERIES_PER_STUDY; e++) {
      const seriesId = (s - 1) * SERIES_PER_STUDY + e + 1;
      for (let n = 0; n < INSTANCES_PER_SERIES && instanceId < instances; n++) {
        instanceId++;
        const identity = {
          sopInstanceUid: instanceUid(instanceId), seriesInstanceUid: seriesUid(seriesId), studyInstanceUid: study.uid, patientName: name, patientId: patient.patientId,
          specificCharacterSet: 'ISO_IR 192', seriesNumber: e + 1, instanceNumber: n + 1, accessionNumber: study.accession,
        };
        const bytes = encodePart10(ctImage(identity, pixels, `${seriesUid(seriesId)}.9`, n), EXPLICIT_LE);
        // The fixture writes one fixed date (study, series, content); DA is 8 bytes, patched in place.
        for (let at = bytes.indexOf(fixtureDate); at >= 0; at = bytes.indexOf(fixtureDate, at + 8)) bytes.write(study.date, at, 'latin1');
        const path = join(dir, `i${String(instanceId).padStart(7, '0')}.dcm`);
        writeFileSync(path, bytes);
        paths.push(path);
      }
    }
  }
  return paths;
}

/** The four searches of the issue, plus a selective name and a name that matches nothing; keys for C-FIND and for QIDO-RS. */
export function queriesFor(instances) {
  const { studies, patients } = shapeOf(instances);
  let s = Math.floor(studies / 2) + 1;
  if (s % RESTRICTED_EVERY === 0) s++;
  const accession = studyOf(s, patients).accession;
  return [
    { label: 'name prefix TAKA*', find: { PatientName: 'TAKA*' }, qido: 'PatientName=TAKA*', orthanc: { PatientName: 'TAKA*' } },
    { label: 'name prefix YAMAZAKI^YUKI* (selective)', find: { PatientName: 'YAMAZAKI^YUKI*' }, qido: 'PatientName=YAMAZAKI%5EYUKI*', orthanc: { PatientName: 'YAMAZAKI^YUKI*' } },
    // A misspelt name matches nothing: a plan that walks the studies and filters reads them all.
    { label: 'name prefix YAMAZKI* (no match)', find: { PatientName: 'YAMAZKI*' }, qido: 'PatientName=YAMAZKI*', orthanc: { PatientName: 'YAMAZKI*' } },
    // C-FIND: fuzzy semantic matching is not negotiated, so the ideographic prefix is literal there.
    { label: 'kanji prefix 高橋* (QIDO: fuzzy たかはし*)', find: { PatientName: '高橋*' }, qido: `PatientName=${encodeURIComponent('たかはし*')}&fuzzymatching=true`, orthanc: null },
    { label: 'date range 20150201-20150302', find: { StudyDate: '20150201-20150302' }, qido: 'StudyDate=20150201-20150302', orthanc: { StudyDate: '20150201-20150302' } },
    { label: `accession ${accession}`, find: { AccessionNumber: accession }, qido: `AccessionNumber=${accession}`, orthanc: { AccessionNumber: accession } },
  ];
}


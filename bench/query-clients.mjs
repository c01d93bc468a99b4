// What the query benchmark measures with, against a running server: a Kakutei server started on
// a prepared data directory, a logged-in bench user, C-FIND over one association (our SCU), and
// timed HTTP GETs. Everything binds or connects to 127.0.0.1 only.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeIdentifier, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../dist/dicom/dataset/identifier-codec.js';
import { CommandField } from '../dist/dicom/net/dimse-command.js';
import { encodeQueryRq, QueryRetrieveSopClass } from '../dist/dicom/net/dimse-qr-messages.js';
import { ScuAssociation } from '../dist/dicom/net/index.js';
import { freePort, LOOPBACK, logTail, startProcess, stopProcess } from './lib.mjs';
import { queriesFor } from './query-data.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const KAKUTEI_CLI = resolve(HERE, '..', 'dist', 'cli', 'kakutei.cjs');
const PASSWORD = 'Initial-passphrase-4821';
const NEW_PASSWORD = 'Changed-passphrase-9377';

/** A Kakutei config for the benchmark: loopback only, BENCH registered, first C-FIND page of 100. */
export async function writeKakuteiConfig(dir, { allow = ['echo', 'query'], maxQueryMatches = 100 } = {}) {
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const path = join(dir, 'kakutei.json');
  writeFileSync(path, JSON.stringify({
    http: { host: LOOPBACK, port: httpPort },
    dicom: { host: LOOPBACK, port: dicomPort, aeTitle: 'KAKUTEI', maxQueryMatches, peers: [{ aeTitle: 'BENCH', host: LOOPBACK, allow }] },
  }, null, 2));
  return { path, httpPort, dicomPort };
}

/** `kakutei serve`, waiting until /healthz answers (bounded: `attempts` × 200 ms). */
export async function startKakutei(dir, data, config, env, attempts = 900) {
  const proc = startProcess(process.execPath, [KAKUTEI_CLI, 'serve', '--data', data, '--config', config.path], join(dir, 'kakutei.log'), env);
  for (let i = 0; i < attempts; i++) {
    if (proc.child.exitCode !== null) throw new Error(`kakutei exited early (code ${proc.child.exitCode}): ${logTail(proc.logPath)}`);
    try {
      const response = await fetch(`http://${LOOPBACK}:${config.httpPort}/healthz`);
      if (response.ok) return proc;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await stopProcess(proc);
  throw new Error(`kakutei did not answer /healthz: ${logTail(proc.logPath)}`);
}

export { stopProcess };

/** `kakutei user add` (physician), password on stdin. */
export function addBenchUser(data, config, env) {
  const result = spawnSync(process.execPath, [KAKUTEI_CLI, 'user', 'add', '--username', 'bench', '--role', 'physician', '--password-stdin', '--data', data, '--config', config.path],
    { input: `${PASSWORD}\n`, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`user add failed (${result.status}): ${result.stderr.slice(0, 500)}`);
}

async function postJson(url, body, token) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${new URL(url).pathname}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Logs the bench user in (first login: changes the initial password); returns the bearer token. */
export async function login(httpPort) {
  const base = `http://${LOOPBACK}:${httpPort}`;
  let session;
  try {
    session = await postJson(`${base}/api/session`, { username: 'bench', password: PASSWORD });
  } catch {
    session = await postJson(`${base}/api/session`, { username: 'bench', password: NEW_PASSWORD });
  }
  if (session.mustChangePassword) {
    await postJson(`${base}/api/me/password`, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, session.token);
  }
  const state = await fetch(`${base}/api/session`, { headers: { authorization: `Bearer ${session.token}` } });
  if (!state.ok) throw new Error(`session not usable: ${state.status}`);
  return session.token;
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** p50/p95 of `runs` timed calls after `warmup` untimed ones; `call` returns the match count. */
export async function timeRuns(call, runs, warmup) {
  const times = [];
  let matches = null;
  for (let run = 0; run < warmup + runs; run++) {
    const t0 = performance.now();
    matches = await call();
    const elapsed = performance.now() - t0;
    if (run >= warmup) times.push(elapsed);
  }
  times.sort((a, b) => a - b);
  return { matches, p50: percentile(times, 50), p95: percentile(times, 95), runs };
}

/** Study-level return keys a viewer's worklist asks for. */
const STUDY_RETURN_KEYS = {
  QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', PatientName: '', PatientID: '', PatientBirthDate: '', PatientSex: '', StudyDate: '', StudyTime: '',
  AccessionNumber: '', StudyID: '', StudyDescription: '', ModalitiesInStudy: '', NumberOfStudyRelatedSeries: '', NumberOfStudyRelatedInstances: '',
};

/** One Study Root C-FIND association (PS3.4 C.6.2) as BENCH. */
export async function openFind(port, calledAeTitle) {
  const association = await ScuAssociation.connect({
    host: LOOPBACK, port, callingAeTitle: 'BENCH', calledAeTitle,
    implementationClassUid: '2.25.183562932514916393617381284718826405814', implementationVersionName: 'KKT_BENCH',
    presentationContexts: [{ abstractSyntaxUid: QueryRetrieveSopClass.StudyRootFind, transferSyntaxUids: [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN] }],
  });
  if (!association.ok) throw new Error(`C-FIND association to ${calledAeTitle}: ${association.error.kind} ${association.error.detail}`);
  const scu = association.value;
  const syntax = scu.acceptedContexts[0].transferSyntaxUid;
  return {
    /** Runs one C-FIND to its final response; returns the number of matches (pending responses). */
    async find(keys) {
      const identifier = encodeIdentifier({ ...STUDY_RETURN_KEYS, ...keys }, syntax);
      const result = await scu.request(QueryRetrieveSopClass.StudyRootFind, (id) => encodeQueryRq(CommandField.CFindRq, id, QueryRetrieveSopClass.StudyRootFind), identifier);
      if (!result.ok) throw new Error(`C-FIND failed: ${result.error.kind} ${result.error.detail}`);
      const final = result.value.at(-1).command.status ?? -1;
      // 0000 success; the page limit reached: A700 from Kakutei (maxQueryMatches, narrow the
      // query), FE00 (Cancel) from Orthanc (LimitFindResults).
      if (final !== 0 && final !== 0xa700 && final !== 0xfe00) throw new Error(`C-FIND final status ${final.toString(16)}`);
      return { matches: result.value.length - 1, status: final };
    },
    close: () => scu.release(),
  };
}

/** A timed authenticated GET; returns the number of JSON array items (or 1 for an object). */
export function httpGetter(base, token) {
  return async (path) => {
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/dicom+json, application/json' } });
    const text = await response.text();
    if (!response.ok && response.status !== 204) throw new Error(`GET ${path.split('?')[0]}: ${response.status}`);
    if (response.status === 204 || text === '') return 0;
    const body = JSON.parse(text);
    return Array.isArray(body) ? body.length : 1;
  };
}

/** Whether QIDO-RS study search is served (another engineer is adding /dicomweb). */
export async function qidoAvailable(base, token) {
  const response = await fetch(`${base}/dicomweb/studies?limit=1`, { headers: { authorization: `Bearer ${token}`, accept: 'application/dicom+json' } });
  await response.arrayBuffer();
  return response.status === 200 || response.status === 204;
}

/** Measures C-FIND and QIDO-RS (or, while /dicomweb is absent, says so) on a running server. */
export async function measureKakutei({ runs, warmup, dicomPort, httpPort, instances, label }) {
  const rows = [];
  const token = await login(httpPort);
  const base = `http://${LOOPBACK}:${httpPort}`;
  const finder = await openFind(dicomPort, 'KAKUTEI');
  try {
    for (const query of queriesFor(instances)) {
      const timed = await timeRuns(async () => (await finder.find(query.find)).matches, runs, warmup);
      rows.push({ ...label, interface: 'C-FIND', query: query.label, ...timed });
      process.stderr.write(`  C-FIND  ${query.label}: ${timed.matches} matches, p50 ${timed.p50.toFixed(1)} ms, p95 ${timed.p95.toFixed(1)} ms\n`);
    }
  } finally {
    await finder.close();
  }
  if (await qidoAvailable(base, token)) {
    const get = httpGetter(base, token);
    for (const query of queriesFor(instances)) {
      const timed = await timeRuns(() => get(`/dicomweb/studies?${query.qido}&limit=100`), runs, warmup);
      rows.push({ ...label, interface: 'QIDO-RS', query: query.label, ...timed });
      process.stderr.write(`  QIDO-RS ${query.label}: ${timed.matches} matches, p50 ${timed.p50.toFixed(1)} ms, p95 ${timed.p95.toFixed(1)} ms\n`);
    }
  } else {
    rows.push({ ...label, interface: 'QIDO-RS', query: '(pending: /dicomweb/studies not served by this build)', matches: null, p50: null, p95: null, runs: 0 });
    process.stderr.write('  QIDO-RS: /dicomweb/studies not served yet (pending)\n');
  }
  return rows;
}


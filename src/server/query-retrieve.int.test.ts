import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../testing/dcmtk.js';
import type { FixtureFile } from '../testing/fixtures/index.js';
import { startRetrieveRig, type RetrieveRig } from '../testing/retrieve-rig.js';
import type { KakuteiProcess } from '../testing/server-process.js';
import { hasTool, requireTools } from '../testing/tools.js';
import { datasetOfPart10 } from '../testing/storescp.js';

const TOOLS = ['findscu', 'movescu', 'getscu', 'storescp', 'storescu', 'echoscu'];

const datasetOf = datasetOfPart10;

describe('query and retrieve against kakutei serve, with DCMTK peers', () => {
  let rig: RetrieveRig | null = null;
  // Set once the rig is up (each test checks the tools first).
  let work = '';
  let server: KakuteiProcess | null = null;
  let fixtures: readonly FixtureFile[] = [];
  let scpDir = '';

  before(async () => {
    if (!TOOLS.every(hasTool)) return;
    // Peers as a hospital would declare them: a viewer that may query and retrieve, and a PACS
    // that is a C-MOVE destination. Unknown AEs may only echo and store.
    rig = await startRetrieveRig({ name: 'qr', destinations: [{ aeTitle: 'STORESCP', accepts: 'all' }], dicomConfig: ['  fallbackCharacterSets: { TESTSCU: shift_jis }'] });
    ({ work, server, fixtures } = rig);
    scpDir = rig.destinations.get('STORESCP')!.dir;
  });
  after(async () => {
    await rig?.close();
  });

  const findscu = (callingAe: string, keys: string[]) =>
    run('findscu', ['-v', '-aet', callingAe, '-aec', 'KAKUTEI', '-S', ...keys.flatMap((key) => ['-k', key]), '127.0.0.1', String(server!.dicomPort)]);

  it('answers C-FIND at study level, Japanese name keys included', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const all = await findscu('VIEWER', ['0008,0052=STUDY', '0020,000D', '0010,0010']);
    assert.equal(all.code, 0, all.stdout + all.stderr);
    const studies = new Set(fixtures.map((fixture) => fixture.studyInstanceUid));
    for (const study of studies) assert.ok((all.stdout + all.stderr).includes(study), `study ${study} found`);
    const yamada = await findscu('VIEWER', ['0008,0052=STUDY', '0008,0005=ISO_IR 192', '0010,0010=山田*', '0020,000D']);
    assert.equal(yamada.code, 0);
    const japanese = fixtures.filter((fixture) => fixture.expected?.patientNameIdeographic?.startsWith('山田') === true);
    assert.ok(japanese.length > 0);
    for (const fixture of japanese) assert.ok((yamada.stdout + yamada.stderr).includes(fixture.studyInstanceUid), `${fixture.name} matched by 山田*`);
    const others = fixtures.filter((fixture) => !japanese.some((j) => j.studyInstanceUid === fixture.studyInstanceUid));
    for (const fixture of others) assert.ok(!(yamada.stdout + yamada.stderr).includes(fixture.studyInstanceUid), `${fixture.name} not matched by 山田*`);
  });

  it('refuses C-FIND to a calling AE that is not allowed to query', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const result = await findscu('STRANGER', ['0008,0052=STUDY', '0020,000D']);
    const output = result.stdout + result.stderr;
    assert.ok(!fixtures.some((fixture) => output.includes(fixture.studyInstanceUid)), 'nothing disclosed');
    assert.match(output, /0x0?124|Not ?Authorized/i, 'answered Refused: Not Authorized (0124)');
  });

  it('moves a study to a configured destination, byte for byte, and refuses unknown ones', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const study = fixtures.find((candidate) => candidate.name === 'ct-explicit-le')!.studyInstanceUid;
    const inStudy = fixtures.filter((fixture) => fixture.studyInstanceUid === study);
    const moved = await run('movescu', ['-v', '-aet', 'VIEWER', '-aec', 'KAKUTEI', '-aem', 'STORESCP', '-S', '-k', '0008,0052=STUDY', '-k', `0020,000D=${study}`, '127.0.0.1', String(server!.dicomPort)]);
    const names = readdirSync(scpDir);
    const received = names.map((name) => datasetOf(readFileSync(join(scpDir, name))));
    // Debian's storescp (DCMTK 3.6.7) knows no HTJ2K: that object is sent decoded losslessly to
    // explicit VR little endian (see transcode.int.test.ts), so it never arrives byte-identical;
    // every other dataset arrives unchanged. The deflated fixture is of odd length (as dcmconv
    // writes it); DCMTK refuses odd PDVs, so every sender of ours pads it with one NUL
    // (scu-dataset-writer.ts); storescp re-deflates what it inflated, so it is found by its UID.
    const odd = inStudy.filter((fixture) => datasetOf(readFileSync(fixture.path)).length % 2 === 1);
    assert.ok(odd.length > 0, 'the study holds an odd-length deflated dataset');
    for (const fixture of inStudy) {
      const dataset = datasetOf(readFileSync(fixture.path));
      if (odd.includes(fixture)) {
        assert.ok(names.some((name) => name.endsWith(fixture.sopInstanceUid)), `${fixture.name} (odd length, padded) arrived`);
        continue;
      }
      const arrived = received.some((candidate) => candidate.equals(dataset));
      if (fixture.transferSyntaxUid.startsWith('1.2.840.10008.1.2.4.20')) assert.ok(!arrived, `${fixture.name} arrives transcoded, not as stored`);
      else assert.ok(arrived, `${fixture.name} arrived unchanged`);
    }
    assert.match(moved.stdout + moved.stderr, /Received Final Move Response/i);
    const unknown = await run('movescu', ['-v', '-aet', 'VIEWER', '-aec', 'KAKUTEI', '-aem', 'NOWHERE', '-S', '-k', '0008,0052=STUDY', '-k', `0020,000D=${study}`, '127.0.0.1', String(server!.dicomPort)]);
    assert.match(unknown.stdout + unknown.stderr, /a801|MoveDestinationUnknown/i);
  });

  it('sends a study to getscu on the same association, byte for byte', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const getDir = join(work, 'get');
    mkdirSync(getDir);
    const fixture = fixtures.find((candidate) => candidate.name === 'ct-explicit-le')!;
    const result = await run('getscu', ['-aet', 'VIEWER', '-aec', 'KAKUTEI', '-S', '-od', getDir, '-k', '0008,0052=STUDY', '-k', `0020,000D=${fixture.studyInstanceUid}`, '127.0.0.1', String(server!.dicomPort)]);
    const received = readdirSync(getDir).map((name) => datasetOf(readFileSync(join(getDir, name))));
    assert.ok(received.some((dataset) => dataset.equals(datasetOf(readFileSync(fixture.path)))), result.stdout + result.stderr);
  });

  it('hides a study made restricted through the REST API from C-FIND and C-MOVE', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const study = fixtures.find((fixture) => fixture.name === 'jp-utf8')!.studyInstanceUid;
    // findscu -v echoes the request identifier: count the pending responses, not UID mentions.
    const matches = (output: string) => (output.match(/Find Response:? \d+ \(Pending/g) ?? []).length;
    const before = await findscu('VIEWER', ['0008,0052=STUDY', `0020,000D=${study}`]);
    assert.equal(matches(before.stdout + before.stderr), 1, 'visible while normal');
    // As an administrator would: first login with the one-time password, change it, restrict.
    const base = `http://127.0.0.1:${server!.httpPort}`;
    const initial = readFileSync(join(work, 'data', 'initial-admin-password'), 'utf8').trim();
    const call = async (method: string, path: string, token: string | null, body?: unknown) =>
      fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const first = (await (await call('POST', '/api/session', null, { username: 'admin', password: initial })).json()) as { token: string };
    const changed = await call('POST', '/api/me/password', first.token, { currentPassword: initial, newPassword: 'correct horse battery staple 42' });
    assert.ok(changed.ok, await changed.text());
    const admin = (await (await call('POST', '/api/session', null, { username: 'admin', password: 'correct horse battery staple 42' })).json()) as { token: string };
    const restricted = await call('PUT', `/api/studies/${study}/confidentiality`, admin.token, { confidentiality: 'restricted' });
    assert.equal(restricted.status, 200, await restricted.text());

    const after = await findscu('VIEWER', ['0008,0052=STUDY', `0020,000D=${study}`]);
    assert.equal(after.code, 0);
    assert.equal(matches(after.stdout + after.stderr), 0, 'a restricted study is invisible to DICOM peers');
    await run('movescu', ['-v', '-aet', 'VIEWER', '-aec', 'KAKUTEI', '-aem', 'STORESCP', '-S', '-k', '0008,0052=STUDY', '-k', `0020,000D=${study}`, '127.0.0.1', String(server!.dicomPort)]);
    const jp = fixtures.find((fixture) => fixture.name === 'jp-utf8')!;
    const received = readdirSync(scpDir).map((name) => datasetOf(readFileSync(join(scpDir, name))));
    assert.ok(!received.some((dataset) => dataset.equals(datasetOf(readFileSync(jp.path)))), 'nothing of it was sent');
  });

  it('records queries and retrievals in the audit trail', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const actions = await auditActions(join(work, 'data'));
    assert.ok(actions.includes('query'));
    assert.ok(actions.includes('retrieve'));
    assert.ok(actions.includes('security-alert'), 'the refused C-FIND raised a security alert');
  });
});

async function auditActions(dataDir: string): Promise<string[]> {
  const { openDatabase, createSqlAuditStore } = await import('../index/index.js');
  const { silentLogger } = await import('../log/index.js');
  const { systemClock } = await import('../clock/index.js');
  const db = await openDatabase(join(dataDir, 'kakutei.sqlite'), silentLogger());
  try {
    return (await createSqlAuditStore(db, { clock: systemClock }).readFrom(1, 100_000)).map((event) => event.action);
  } finally {
    await db.close();
  }
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { PersonName } from '../dicom/dataset/instance-attributes.js';
import { parseCFindIdentifier, parseQidoQuery, toDicomJson, type AccessScope, type IdentifierElement, type Query, type QueryRoot, type ResultAttribute } from '../query/index.js';
import { createInstanceIndex } from './instance-index.js';
import { runQuery, type QueryPage } from './query-run.js';
import { fakeInstance, testUid } from './testing/fake-instance.js';
import { createTestDatabase, testDialects, type TestDatabase } from './testing/test-databases.js';

const NONE: AccessScope = { restricted: 'none', userId: null, unfinalized: false, breakGlass: false };
const ALL: AccessScope = { restricted: 'all', userId: null, unfinalized: false, breakGlass: true };

const pn = (alphabetic: string, ideographic = '', phonetic = ''): PersonName => ({ alphabetic, ideographic, phonetic });

function identifier(level: string, keys: Record<string, string | null | { items: Record<string, string>[] }>): Map<string, IdentifierElement> {
  const map = new Map<string, IdentifierElement>([['QueryRetrieveLevel', { vr: 'CS', value: level }]]);
  for (const [key, value] of Object.entries(keys)) {
    if (value !== null && typeof value === 'object') {
      map.set(key, { vr: 'SQ', value: null, items: value.items.map((item) => new Map(Object.entries(item).map(([k, v]) => [k, { vr: 'SH', value: v }]))) });
    } else {
      map.set(key, { vr: 'LO', value });
    }
  }
  return map;
}

function cfind(level: string, keys: Parameters<typeof identifier>[1], root: QueryRoot = 'study', fuzzyMatching = false): Query {
  const parsed = parseCFindIdentifier(identifier(level, keys), { root, fuzzyMatching });
  if (!parsed.ok) assert.fail(`parse failed: ${parsed.error.detail ?? parsed.error.code}`);
  return parsed.value;
}

function valueOf(attributes: readonly ResultAttribute[], keyword: string): unknown {
  return attributes.find((a) => a.keyword === keyword)?.value;
}

for (const { dialect, skip } of await testDialects()) {
  describe(`query model on ${dialect}`, { skip }, () => {
    let t: TestDatabase;
    const uid = { s1: testUid(), s1r: testUid(), s2: testUid(), s3: testUid(), s4: testUid(), s5: testUid(), s6: testUid(), se1: testUid(), se2: testUid() };
    const sop = { a: testUid(), b: testUid(), c: testUid() };
    let userId = '';

    const run = async (query: Query, scope: AccessScope = NONE, maxMatches = 1000): Promise<QueryPage> => {
      const result = await runQuery(t.db, query, scope, { maxMatches });
      if (!result.ok) assert.fail(`run failed: ${result.error.detail ?? result.error.code}`);
      return result.value;
    };
    const studies = async (keys: Parameters<typeof identifier>[1], options: { scope?: AccessScope; fuzzy?: boolean } = {}): Promise<string[]> =>
      (await run(cfind('STUDY', keys, 'study', options.fuzzy ?? false), options.scope ?? NONE)).matches.map((m) => m.studyInstanceUid ?? '').sort();

    before(async () => {
      t = await createTestDatabase(dialect);
      const index = createInstanceIndex(t.db);
      const record = async (attributes: Parameters<typeof fakeInstance>[0] extends infer O ? (O extends { attributes?: infer A } ? A : never) : never, sopInstanceUid?: string) => {
        await index.record(fakeInstance({ ...(sopInstanceUid === undefined ? {} : { sopInstanceUid }), attributes }));
      };
      const yamada = pn('Yamada^Tarou', '山田^太郎', 'やまだ^たろう');
      await record({ patientId: 'P1', patientName: yamada, studyInstanceUid: uid.s1, seriesInstanceUid: uid.se1, studyDate: '20240115', studyTime: '101500', accessionNumber: '100%_A', modality: 'CT', requestedProcedureId: 'RP1', instanceNumber: '1', rows: 512 }, sop.a);
      await record({ patientId: 'P1', patientName: yamada, studyInstanceUid: uid.s1, seriesInstanceUid: uid.se1, modality: 'CT', instanceNumber: '2' }, sop.b);
      await record({ patientId: 'P1', patientName: yamada, studyInstanceUid: uid.s1, seriesInstanceUid: uid.se2, modality: 'SR' }, sop.c);
      await record({ patientId: 'P1', patientName: yamada, studyInstanceUid: uid.s1r, studyDate: '20240116', modality: 'CT', accessionNumber: 'R1' });
      await record({ patientId: 'P2', patientName: pn('TAKAHASHI^HANAKO', '髙橋^花子', 'タカハシ^ハナコ'), studyInstanceUid: uid.s2, studyDate: '20240301', accessionNumber: "A'; DROP TABLE studies;--", modality: 'MR', studyDescription: 'A[1]?B' });
      await record({ patientId: 'P3', patientName: pn('Secret^Person'), studyInstanceUid: uid.s3, studyDate: '20240201', accessionNumber: '100XYA', modality: 'CT', studyDescription: 'X\\Y' });
      await record({ patientId: 'P4', patientName: pn('Smith^John^^'), studyInstanceUid: uid.s4, studyDate: '20231231', accessionNumber: '100_B', studyDescription: 'A1B' });
      await record({ patientId: 'P5', patientName: pn('', '高橋^一郎', 'たかはし^いちろう'), studyInstanceUid: uid.s5, accessionNumber: 'takahashi' });
      await record({ patientId: 'P6', patientName: pn('kudo^mai', '工藤^舞', 'ｸﾄﾞｳ^ﾏｲ'), studyInstanceUid: uid.s6, studyDescription: 'X\\%Z' });
      const k = t.db.kysely;
      await k.updateTable('studies').set({ confidentiality: 'restricted' }).where('study_instance_uid', 'in', [uid.s3, uid.s1r]).execute();
      const now = new Date().toISOString();
      const user = await k
        .insertInto('users')
        .values({ login_name: 'doctor', display_name: 'Doctor', roles: 'physician', password_hash: 'x', password_changed_at: now, must_change_password: 0, disabled: 0, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      userId = String(user.id);
      await k.insertInto('study_grants').values({ study_instance_uid: uid.s3, user_id: user.id, granted_by: user.id, granted_at: now }).execute();
    });
    after(async () => {
      await t.dispose();
    });

    it('matches a person name on any component group, exactly and case-sensitively', async () => {
      assert.deepEqual(await studies({ PatientName: 'Yamada^Tarou' }), [uid.s1]);
      assert.deepEqual(await studies({ PatientName: '山田^太郎' }), [uid.s1]);
      assert.deepEqual(await studies({ PatientName: 'やまだ^たろう' }), [uid.s1]);
      assert.deepEqual(await studies({ PatientName: 'yamada^tarou' }), []);
      assert.deepEqual(await studies({ PatientName: 'Yamada^Tarou=山田^太郎' }), [uid.s1]);
      assert.deepEqual(await studies({ PatientName: 'Yamada^Tarou=山本^太郎' }), []);
      // Trailing empty components are insignificant (PS3.5 6.2.1).
      assert.deepEqual(await studies({ PatientName: 'Smith^John' }), [uid.s4]);
    });

    it('matches wildcards, with LIKE and GLOB metacharacters of the value taken literally', async () => {
      assert.deepEqual(await studies({ PatientName: 'Yama*' }), [uid.s1]);
      assert.deepEqual(await studies({ PatientName: 'Y?mada^*' }), [uid.s1]);
      assert.deepEqual(await studies({ PatientName: 'yama*' }), []);
      assert.deepEqual(await studies({ AccessionNumber: '100%_*' }), [uid.s1]);
      assert.deepEqual(await studies({ AccessionNumber: '100_*' }), [uid.s4]);
      assert.deepEqual(await studies({ AccessionNumber: '100%_A' }), [uid.s1]);
      assert.deepEqual(await studies({ AccessionNumber: '100*' }), [uid.s1, uid.s4].sort());
      assert.deepEqual(await studies({ StudyDescription: 'A[1]*' }), [uid.s2]);
      assert.deepEqual(await studies({ StudyDescription: 'A?B' }), [uid.s4]);
    });

    it('takes a backslash and percent sign in a stored value literally', async () => {
      // A `\` cannot be sent in a key (it separates values), so the model is built by hand.
      const query: Query = {
        ...cfind('STUDY', { StudyDescription: null }),
        matches: [{ keyword: 'StudyDescription', matcher: { kind: 'text', anyOf: [{ kind: 'wildcard', segments: [{ kind: 'literal', text: 'X\\%' }, { kind: 'any' }] }] } }],
      };
      assert.deepEqual((await run(query, ALL)).matches.map((m) => m.studyInstanceUid), [uid.s6]);
    });

    it('keeps SQL metacharacters harmless', async () => {
      assert.deepEqual(await studies({ AccessionNumber: "A'; DROP TABLE studies;--" }), [uid.s2]);
      assert.deepEqual(await studies({ PatientID: "' OR 1=1 --" }), []);
      const count = await t.db.kysely.selectFrom('studies').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 7);
    });

    it('matches date and time ranges, and refuses a reversed one', async () => {
      assert.deepEqual(await studies({ StudyDate: '20240101-20240131' }), [uid.s1]);
      assert.deepEqual(await studies({ StudyDate: '-20240201' }), [uid.s1, uid.s4].sort());
      assert.deepEqual(await studies({ StudyDate: '20240301-' }), [uid.s2]);
      assert.deepEqual(await studies({ StudyDate: '20240115' }), [uid.s1]);
      assert.deepEqual(await studies({ StudyTime: '1000-1015' }), [uid.s1]);
      assert.deepEqual(await studies({ StudyTime: '1016-' }), []);
      const reversed = parseCFindIdentifier(identifier('STUDY', { StudyDate: '20240131-20240101' }), { root: 'study' });
      assert.equal(reversed.ok, false);
      if (!reversed.ok) assert.equal(reversed.error.code, 'QUERY_INVALID');
    });

    it('matches a list of 5 000 UIDs at the study and series levels', async () => {
      const many = Array.from({ length: 5000 }, () => testUid());
      assert.deepEqual(await studies({ StudyInstanceUID: [...many, uid.s1, uid.s2].join('\\') }), [uid.s1, uid.s2].sort());
      const series = await run(cfind('SERIES', { SeriesInstanceUID: [...many, uid.se1].join('\\') }));
      assert.deepEqual(series.matches.map((m) => valueOf(m.attributes, 'SeriesInstanceUID')), [[uid.se1]]);
    });

    it('matches fuzzily: kanji variants, half-width kana, hiragana and case', async () => {
      const fuzzy = (PatientName: string) => studies({ PatientName }, { fuzzy: true });
      assert.deepEqual(await fuzzy('高橋*'), [uid.s2, uid.s5].sort());
      assert.deepEqual(await fuzzy('髙橋^一郎'), [uid.s5]);
      assert.deepEqual(await fuzzy('ﾀｶﾊｼ*'), [uid.s2, uid.s5].sort());
      assert.deepEqual(await fuzzy('たかはし*'), [uid.s2, uid.s5].sort());
      assert.deepEqual(await fuzzy('takahashi^hanako'), [uid.s2]);
      assert.deepEqual(await fuzzy('takahashi'), [uid.s2]);
      assert.deepEqual(await fuzzy('クドウ^マイ'), [uid.s6]);
      assert.deepEqual(await fuzzy('KUDO*'), [uid.s6]);
      // Without fuzzy matching the variants stay apart.
      assert.deepEqual(await studies({ PatientName: '高橋*' }), [uid.s5]);
    });

    it('answers each level with its counts and computed attributes', async () => {
      const patient = await run(cfind('PATIENT', { PatientID: 'P1', NumberOfPatientRelatedStudies: null, NumberOfPatientRelatedInstances: null, PatientName: null }, 'patient'));
      assert.equal(patient.matches.length, 1);
      const p = patient.matches[0]!.attributes;
      assert.deepEqual(valueOf(p, 'NumberOfPatientRelatedStudies'), [1], 'the restricted study is not counted');
      assert.deepEqual(valueOf(p, 'NumberOfPatientRelatedInstances'), [3]);
      assert.deepEqual(valueOf(p, 'PatientName'), [pn('Yamada^Tarou', '山田^太郎', 'やまだ^たろう')]);
      const withAll = await run(cfind('PATIENT', { PatientID: 'P1', NumberOfPatientRelatedStudies: null }, 'patient'), ALL);
      assert.deepEqual(valueOf(withAll.matches[0]!.attributes, 'NumberOfPatientRelatedStudies'), [2]);

      const study = await run(cfind('STUDY', { StudyInstanceUID: uid.s1, ModalitiesInStudy: null, NumberOfStudyRelatedSeries: null, NumberOfStudyRelatedInstances: null }));
      const s = study.matches[0]!.attributes;
      assert.deepEqual(valueOf(s, 'ModalitiesInStudy'), ['CT', 'SR']);
      assert.deepEqual(valueOf(s, 'NumberOfStudyRelatedSeries'), [2]);
      assert.deepEqual(valueOf(s, 'NumberOfStudyRelatedInstances'), [3]);
      assert.deepEqual(s.map((a) => a.tag), [...s.map((a) => a.tag)].sort(), 'sorted by tag');
      assert.deepEqual(await studies({ ModalitiesInStudy: 'SR' }), [uid.s1]);
      assert.deepEqual(await studies({ ModalitiesInStudy: 'MR\\SR' }), [uid.s1, uid.s2].sort());

      const series = await run(cfind('SERIES', { StudyInstanceUID: uid.s1, Modality: 'CT', NumberOfSeriesRelatedInstances: null }));
      assert.equal(series.matches.length, 1);
      assert.deepEqual(valueOf(series.matches[0]!.attributes, 'NumberOfSeriesRelatedInstances'), [2]);

      const images = await run(cfind('IMAGE', { StudyInstanceUID: uid.s1, SeriesInstanceUID: uid.se1, SOPInstanceUID: null, InstanceNumber: '1', Rows: null }));
      assert.deepEqual(images.matches.map((m) => valueOf(m.attributes, 'SOPInstanceUID')), [[sop.a]]);
      assert.deepEqual(valueOf(images.matches[0]!.attributes, 'Rows'), [512]);
    });

    it('matches one level of sequence items', async () => {
      const hit = await run(cfind('SERIES', { RequestAttributesSequence: { items: [{ RequestedProcedureID: 'RP1' }] }, SeriesInstanceUID: null }));
      assert.deepEqual(hit.matches.map((m) => valueOf(m.attributes, 'SeriesInstanceUID')).sort(), [[uid.se1], [uid.se2]].sort());
      const item = valueOf(hit.matches[0]!.attributes, 'RequestAttributesSequence') as ResultAttribute[][];
      assert.deepEqual(item[0]?.map((a) => [a.keyword, a.value]), [['RequestedProcedureID', ['RP1']]]);
      const miss = await run(cfind('SERIES', { RequestAttributesSequence: { items: [{ RequestedProcedureID: 'RP9' }] } }));
      assert.equal(miss.matches.length, 0);
    });

    it('hides restricted studies at every level unless granted or seen by all', async () => {
      const granted: AccessScope = { restricted: 'granted', userId, unfinalized: false, breakGlass: false };
      const otherUser: AccessScope = { restricted: 'granted', userId: '999999', unfinalized: false, breakGlass: false };
      assert.deepEqual(await studies({ PatientID: 'P3' }), []);
      assert.deepEqual(await studies({ PatientID: 'P3' }, { scope: otherUser }), []);
      assert.deepEqual(await studies({ PatientID: 'P3' }, { scope: granted }), [uid.s3]);
      assert.deepEqual(await studies({ PatientID: 'P3' }, { scope: ALL }), [uid.s3]);
      for (const level of ['PATIENT', 'STUDY', 'SERIES', 'IMAGE']) {
        const query = cfind(level, { PatientID: 'P3' }, 'patient');
        assert.equal((await run(query, NONE)).matches.length, 0, `${level} hidden`);
        assert.equal((await run(query, granted)).matches.length, 1, `${level} granted`);
      }
      const everything = await run(cfind('STUDY', {}), NONE);
      assert.ok(!everything.matches.some((m) => m.studyInstanceUid === uid.s3 || m.studyInstanceUid === uid.s1r));
      assert.equal((await run(cfind('STUDY', {}), ALL)).breakGlass, true);
    });

    it('pages with limit and offset, and says when the server maximum cut the page', async () => {
      const all = await run(cfind('STUDY', {}), NONE);
      assert.equal(all.matches.length, 5);
      const capped = await run(cfind('STUDY', {}), NONE, 4);
      assert.equal(capped.matches.length, 4);
      assert.equal(capped.moreAvailable, true);
      assert.equal(capped.truncatedByServerLimit, true);
      const qido = (params: Record<string, string>) => {
        const parsed = parseQidoQuery({ level: 'STUDY', params });
        if (!parsed.ok) assert.fail('qido parse');
        return parsed.value;
      };
      const first = await run(qido({ limit: '2' }), NONE, 100);
      assert.equal(first.matches.length, 2);
      assert.equal(first.moreAvailable, true);
      assert.equal(first.truncatedByServerLimit, false);
      const second = await run(qido({ limit: '2', offset: '2' }), NONE, 100);
      assert.notDeepEqual(second.matches.map((m) => m.studyInstanceUid), first.matches.map((m) => m.studyInstanceUid));
      const beyond = await run(qido({ limit: '500' }), NONE, 3);
      assert.equal(beyond.truncatedByServerLimit, true);
    });

    it('answers QIDO-RS as DICOM JSON with the default study attributes', async () => {
      const parsed = parseQidoQuery({ level: 'STUDY', params: new URLSearchParams({ PatientName: 'Yamada*', includefield: '00081030' }) });
      assert.ok(parsed.ok);
      const page = await run(parsed.value);
      const json = toDicomJson(page.matches[0]!.attributes);
      assert.deepEqual(json['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }] });
      assert.deepEqual(json['00080061'], { vr: 'CS', Value: ['CT', 'SR'] });
      assert.deepEqual(json['00201208'], { vr: 'IS', Value: [3] });
      assert.deepEqual(json['00081030'], { vr: 'LO' });
      const seriesOfStudy = parseQidoQuery({ level: 'SERIES', params: {}, studyInstanceUid: uid.s1 });
      assert.ok(seriesOfStudy.ok);
      assert.equal((await run(seriesOfStudy.value)).matches.length, 2);
    });
  });
}

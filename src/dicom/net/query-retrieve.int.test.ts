import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { type DecodedIdentifier, decodeIdentifier, encodeIdentifier } from '../dataset/identifier-codec.js';
import { CommandField } from './dimse-command.js';
import { QueryRetrieveSopClass, encodeQueryRq } from './dimse-qr-messages.js';
import { ScuAssociation } from './scu.js';
import { type ArchivedObject, ArchiveHandlers, QR_SOP_CLASSES, freePort, makeArchive } from './query-test-support.js';
import type { DimseServer } from './server.js';
import { CT_IMAGE_STORAGE, IMPLICIT_LE, buildPart10, datasetOfPart10, delay, startServer } from './test-support.js';

const TOOLS = ['findscu', 'movescu', 'getscu', 'storescp'];
const missing = TOOLS.filter((t) => spawnSync('which', [t]).status !== 0);
// Without DCMTK these tests are skipped locally, but must fail in CI.
const skip = missing.length > 0 && process.env['CI'] !== 'true' ? `DCMTK missing: ${missing.join(', ')}` : false;


function run(tool: string, args: string[], cwd?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(tool, args, { timeout: 30_000, ...(cwd === undefined ? {} : { cwd }) }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: stdout + stderr });
    });
  });
}


/** The identifier of a Part 10 file written by findscu -X (its meta says the transfer syntax). */
function identifierOfFile(file: Buffer): DecodedIdentifier {
  const meta = file.subarray(132, 132 + 12 + file.readUInt32LE(140));
  const ts = /1\.2\.840\.10008\.1\.2(\.1)?\0?/.exec(meta.toString('latin1', meta.indexOf('1.2.840.10008.1.2')))![0].replace('\0', '');
  const decoded = decodeIdentifier(datasetOfPart10(file), ts);
  assert.ok(decoded.ok);
  return decoded.identifier;
}

const DEFLATED_LE = '1.2.840.10008.1.2.1.99';

/** A stored object whose dataset is a deflate stream of odd length, as dcmconv +td often writes. */
function oddDeflatedObject(): ArchivedObject {
  const study = { StudyInstanceUID: '1.2.826.0.1.3680043.10.1467.78.1', StudyDate: '20240301', AccessionNumber: 'ACCODD', StudyID: 'S9', StudyDescription: 'CR DEFLATED' };
  const series = { SeriesInstanceUID: '1.2.826.0.1.3680043.10.1467.78.1.1', Modality: 'CT', SeriesNumber: '1' };
  // The stream's length follows the content: try instance UIDs until one deflates to an odd length.
  for (let n = 1; n < 64; n++) {
    const uid = `1.2.826.0.1.3680043.10.1467.78.1.1.${n}`;
    const deflated = deflateRawSync(buildPart10(CT_IMAGE_STORAGE, uid, 3000, { study: study.StudyInstanceUID, series: series.SeriesInstanceUID }).dataset);
    if (deflated.length % 2 === 1) {
      return {
        patient: { PatientName: 'ODD^DEFLATE', PatientID: 'P9', PatientBirthDate: '19900303', PatientSex: 'F' },
        study,
        series,
        instance: { SOPInstanceUID: uid, SOPClassUID: CT_IMAGE_STORAGE, InstanceNumber: '1' },
        transferSyntaxUid: DEFLATED_LE,
        dataset: deflated,
      };
    }
  }
  throw new Error('no odd-length deflate stream found');
}

const text = (identifier: DecodedIdentifier, tag: number): string | undefined => identifier.elements.get(tag)?.values.join('\\');

describe('query/retrieve with DCMTK', { skip }, () => {
  let handlers: ArchiveHandlers;
  let server: DimseServer;
  let port: number;
  let dir: string;

  before(async () => {
    handlers = new ArchiveHandlers(makeArchive());
    ({ server, port } = await startServer(handlers, { abstractSyntaxes: new Set(QR_SOP_CLASSES) }));
  });
  after(async () => {
    await server.close(1000);
  });

  async function findscu(model: '-P' | '-S', keys: string[], extra: string[] = []): Promise<{ code: number; output: string; responses: DecodedIdentifier[] }> {
    dir = await mkdtemp(join(tmpdir(), 'kakutei-findscu-'));
    try {
      const { code, output } = await run('findscu', ['-v', '-aet', 'VIEWER', '-aec', 'KAKUTEI', model, '-X', '-od', dir, ...extra, ...keys.flatMap((k) => ['-k', k]), '127.0.0.1', String(port)]);
      const names = (await readdir(dir)).sort();
      const responses = await Promise.all(names.map(async (n) => identifierOfFile(await readFile(join(dir, n)))));
      return { code, output, responses };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('answers findscu at PATIENT level (Patient Root) with a Japanese name key in UTF-8', async () => {
    const { code, output, responses } = await findscu('-P', ['0008,0052=PATIENT', '0008,0005=ISO_IR 192', '0010,0010=山田*', '0010,0020', '0010,0030']);
    assert.equal(code, 0, output);
    assert.equal(responses.length, 1, output);
    const r = responses[0]!;
    assert.equal(text(r, 0x00080005), 'ISO_IR 192');
    assert.equal(text(r, 0x00100010), '山田^太郎=ヤマダ^タロウ');
    assert.equal(text(r, 0x00100020), 'P1');
    assert.equal(text(r, 0x00100030), '19700101');
    const request = handlers.finds.at(-1)!;
    assert.equal(request.queryModel, 'patient-root');
    assert.deepEqual(request.identifier.elements.get(0x00100010)?.values, ['山田*']);
  });

  it('answers findscu at STUDY, SERIES and IMAGE levels (Study Root) with wildcards and UID lists', async () => {
    const studies = await findscu('-S', ['0008,0052=STUDY', '0020,000D', '0008,0050=ACC?0', '0008,0020']);
    assert.equal(studies.code, 0, studies.output);
    assert.deepEqual(studies.responses.map((r) => text(r, 0x00080050)).sort(), ['ACC00', 'ACC10']);
    const study = makeArchive()[0]!.study.StudyInstanceUID;
    const series = await findscu('-S', ['0008,0052=SERIES', `0020,000D=${study}`, '0020,000E', '0008,0060=CT']);
    assert.equal(series.responses.length, 1, series.output);
    assert.equal(text(series.responses[0]!, 0x00080060), 'CT');
    const images = await findscu('-S', ['0008,0052=IMAGE', `0020,000D=${study}`, '0008,0018', '0020,0013']);
    assert.equal(images.responses.length, 2, images.output);
    const uids = images.responses.map((r) => text(r, 0x00080018)!);
    const listed = await findscu('-S', ['0008,0052=IMAGE', `0008,0018=${uids.join('\\')}`, '0020,0013']);
    assert.equal(listed.responses.length, 2, listed.output);
  });

  it('refuses a level the model does not have (PATIENT in Study Root) with 0xA900', async () => {
    const { output, responses } = await findscu('-S', ['0008,0052=PATIENT', '0010,0020']);
    assert.equal(responses.length, 0);
    assert.match(output, /a900|DoesNotMatch/i);
  });

  it('honours C-CANCEL: stops an endless wildcard-only match, closes the iterator, answers 0xFE00', async () => {
    handlers.endless = { count: 0, closed: false };
    try {
      const { output, responses } = await findscu('-S', ['0008,0052=STUDY', '0020,000D', '0010,0010=*'], ['--cancel', '3']);
      // How many pending responses are already on their way when the C-CANCEL arrives depends on
      // scheduling (loopback buffers hundreds of small PDUs): 51 were seen under a full test run.
      // What matters is that the match stops, bounded by what was pulled (< 200, below).
      assert.ok(responses.length >= 3 && responses.length < 200, output);
      assert.match(output, /fe00|cancel/i);
      assert.equal(handlers.endless.closed, true);
      // Pulled as responses were written, not buffered ahead without bound.
      assert.ok(handlers.endless.count < 200, `pulled ${handlers.endless.count}`);
    } finally {
      handlers.endless = null;
    }
  });

  it('ends with 0xA700 after the configured maximum of matches', async () => {
    handlers.maxMatches = 1;
    try {
      const { output, responses } = await findscu('-S', ['0008,0052=STUDY', '0020,000D']);
      assert.equal(responses.length, 1);
      assert.match(output, /a700|OutOfResources|Out of Resources/i);
    } finally {
      handlers.maxMatches = Number.POSITIVE_INFINITY;
    }
  });

  it('passes SQL and LIKE metacharacters to the handler unchanged', async () => {
    const nasty = `%_'; DROP TABLE x;--[a]`;
    const accession = `%_[a]'--\\`;
    const { code, responses } = await findscu('-S', ['0008,0052=STUDY', `0008,0050=${accession}`, `0010,0020=${nasty}`]);
    assert.equal(code, 0);
    assert.equal(responses.length, 0);
    const request = handlers.finds.at(-1)!;
    assert.deepEqual(request.identifier.elements.get(0x00100020)?.values, [nasty]);
    // A backslash separates values (PS3.5 §6.4): two values, each kept as sent.
    assert.deepEqual(request.identifier.elements.get(0x00080050)?.values, [`%_[a]'--`, '']);
  });

  describe('C-MOVE to storescp and C-GET', () => {
    let scp: ChildProcess | null = null;
    let scpPort = 0;
    let outDir = '';

    before(async () => {
      outDir = await mkdtemp(join(tmpdir(), 'kakutei-move-'));
      scpPort = await freePort();
      scp = spawn('storescp', ['-aet', 'STORESCP', '-od', outDir, String(scpPort)], { stdio: 'ignore' });
      handlers.destinations.set('STORESCP', { aeTitle: 'STORESCP', host: '127.0.0.1', port: scpPort });
      // storescp may still be starting.
      for (let i = 0; i < 100 && (await run('echoscu', ['-aec', 'STORESCP', '127.0.0.1', String(scpPort)])).code !== 0; i++) await delay(50);
    });
    after(async () => {
      scp?.kill();
      await rm(outDir, { recursive: true, force: true });
    });

    it('moves a study to storescp with the datasets byte-equal to the stored ones', async () => {
      const archive = makeArchive();
      const study = archive[0]!.study.StudyInstanceUID;
      const { code, output } = await run('movescu', ['-aet', 'VIEWER', '-aec', 'KAKUTEI', '-aem', 'STORESCP', '-S', '-k', '0008,0052=STUDY', '-k', `0020,000D=${study}`, '127.0.0.1', String(port)]);
      assert.equal(code, 0, output);
      const names = await readdir(outDir);
      assert.equal(names.length, 2, output);
      for (const name of names) {
        const written = datasetOfPart10(await readFile(join(outDir, name)));
        assert.ok(archive.some((o) => o.dataset.equals(written)), `${name} differs from every stored dataset`);
      }
      assert.equal(handlers.retrieves.at(-1)?.kind, 'move');
    });

    it('moves an odd-length deflated dataset to a storescp that takes deflate: padded with one NUL, not aborted', async () => {
      // DCMTK refuses a PDV of odd length and aborts the association (scu-dataset-writer.ts).
      const odd = oddDeflatedObject();
      assert.equal(odd.dataset.length % 2, 1);
      handlers.archive.push(odd);
      const deflatedDir = await mkdtemp(join(tmpdir(), 'kakutei-move-deflated-'));
      const deflatedPort = await freePort();
      const deflatedScp = spawn('storescp', ['+xd', '-aet', 'DEFLATESCP', '-od', deflatedDir, String(deflatedPort)], { stdio: 'ignore' });
      try {
        handlers.destinations.set('DEFLATESCP', { aeTitle: 'DEFLATESCP', host: '127.0.0.1', port: deflatedPort });
        for (let i = 0; i < 100 && (await run('echoscu', ['-aec', 'DEFLATESCP', '127.0.0.1', String(deflatedPort)])).code !== 0; i++) await delay(50);
        const { code, output } = await run('movescu', ['-v', '-aet', 'VIEWER', '-aec', 'KAKUTEI', '-aem', 'DEFLATESCP', '-S', '-k', '0008,0052=STUDY', '-k', `0020,000D=${odd.study.StudyInstanceUID}`, '127.0.0.1', String(port)]);
        assert.equal(code, 0, output);
        const names = await readdir(deflatedDir);
        assert.equal(names.length, 1, output);
        // storescp inflates what it receives and deflates it again to write it: compare the content.
        const written = await readFile(join(deflatedDir, names[0]!));
        assert.match(written.toString('latin1', 132, 400), /1\.2\.840\.10008\.1\.2\.1\.99/, 'kept deflated: sent on the deflated context');
        assert.deepEqual(inflateRawSync(datasetOfPart10(written)), inflateRawSync(odd.dataset));
      } finally {
        handlers.archive.pop();
        deflatedScp.kill();
        await rm(deflatedDir, { recursive: true, force: true });
      }
    });

    it('refuses an unknown move destination with 0xA801 and sends nothing', async () => {
      const before = (await readdir(outDir)).length;
      const study = makeArchive()[0]!.study.StudyInstanceUID;
      const { output } = await run('movescu', ['-v', '-aet', 'VIEWER', '-aec', 'KAKUTEI', '-aem', 'NOWHERE', '-S', '-k', '0008,0052=STUDY', '-k', `0020,000D=${study}`, '127.0.0.1', String(port)]);
      assert.match(output, /a801|MoveDestinationUnknown/i);
      assert.equal((await readdir(outDir)).length, before);
    });

    it('refuses a spoofed destination (the caller naming itself, unconfigured) with 0xA801', async () => {
      const study = makeArchive()[0]!.study.StudyInstanceUID;
      const { output } = await run('movescu', ['-v', '-aet', 'VIEWER', '-aec', 'KAKUTEI', '-aem', 'VIEWER', '-S', '-k', '0008,0052=STUDY', '-k', `0020,000D=${study}`, '127.0.0.1', String(port)]);
      assert.match(output, /a801|MoveDestinationUnknown/i);
    });

    it('sends C-GET sub-operations on the same association to getscu, byte-equal', async () => {
      const getDir = await mkdtemp(join(tmpdir(), 'kakutei-get-'));
      try {
        const archive = makeArchive();
        const study = archive[2]!.study.StudyInstanceUID;
        const { code, output } = await run('getscu', ['-aet', 'VIEWER', '-aec', 'KAKUTEI', '-S', '-od', getDir, '-k', '0008,0052=STUDY', '-k', `0020,000D=${study}`, '127.0.0.1', String(port)]);
        assert.equal(code, 0, output);
        const names = await readdir(getDir);
        assert.equal(names.length, 2, output);
        for (const name of names) {
          const written = datasetOfPart10(await readFile(join(getDir, name)));
          assert.ok(archive.some((o) => o.dataset.equals(written)), `${name} differs from every stored dataset`);
        }
      } finally {
        await rm(getDir, { recursive: true, force: true });
      }
    });
  });
});

describe('query/retrieve bad inputs with our SCU', () => {
  let handlers: ArchiveHandlers;
  let server: DimseServer;
  let port: number;

  before(async () => {
    handlers = new ArchiveHandlers(makeArchive());
    ({ server, port } = await startServer(handlers, { abstractSyntaxes: new Set(QR_SOP_CLASSES) }));
  });
  after(async () => {
    await server.close(1000);
  });

  async function open(): Promise<ScuAssociation> {
    const r = await ScuAssociation.connect({
      host: '127.0.0.1',
      port,
      callingAeTitle: 'TESTSCU',
      calledAeTitle: 'KAKUTEI',
      implementationClassUid: '1.2.826.0.1.3680043.10.1467.2',
      implementationVersionName: 'KAKUTEI_SCU',
      presentationContexts: [
        { abstractSyntaxUid: QueryRetrieveSopClass.StudyRootFind, transferSyntaxUids: [IMPLICIT_LE] },
        { abstractSyntaxUid: QueryRetrieveSopClass.StudyRootMove, transferSyntaxUids: [IMPLICIT_LE] },
      ],
    });
    assert.ok(r.ok);
    return r.value;
  }

  const uidList = (n: number): string[] => Array.from({ length: n }, (_, i) => `1.2.826.0.1.3680043.10.1467.55.${i}`);

  it('passes a huge UID list (12 000 UIDs) to the handler whole, and refuses one beyond the size limit with 0xA700', async () => {
    const scu = await open();
    const find = (id: number) => encodeQueryRq(CommandField.CFindRq, id, QueryRetrieveSopClass.StudyRootFind);
    const big = await scu.request(QueryRetrieveSopClass.StudyRootFind, find, encodeIdentifier({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: uidList(12_000) }, IMPLICIT_LE));
    assert.ok(big.ok);
    assert.deepEqual(big.value.map((r) => r.command.status), [0]);
    assert.equal(handlers.finds.at(-1)?.identifier.elements.get(0x0020000d)?.values.length, 12_000);
    const before = handlers.finds.length;
    // Only implicit VR can carry a UI value beyond 64 KiB (PS3.5 §7.1.2).
    const tooBig = Buffer.concat([encodeIdentifier({ QueryRetrieveLevel: 'STUDY' }, IMPLICIT_LE), encodeIdentifier({ StudyInstanceUID: uidList(40_000) }, IMPLICIT_LE)]);
    const refused = await scu.request(QueryRetrieveSopClass.StudyRootFind, find, tooBig);
    assert.ok(refused.ok);
    assert.deepEqual(refused.value.map((r) => r.command.status), [0xa700]);
    assert.equal(handlers.finds.length, before);
    assert.ok((await scu.release()).ok);
  });

  it('refuses a C-MOVE to an unknown destination with exactly 0xA801 and resolves nothing', async () => {
    const scu = await open();
    const before = handlers.retrieves.length;
    const move = (id: number) => encodeQueryRq(CommandField.CMoveRq, id, QueryRetrieveSopClass.StudyRootMove, 'EVIL');
    const r = await scu.request(QueryRetrieveSopClass.StudyRootMove, move, encodeIdentifier({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.3' }, IMPLICIT_LE));
    assert.ok(r.ok);
    assert.deepEqual(r.value.map((x) => x.command.status), [0xa801]);
    assert.equal(handlers.retrieves.length, before);
    assert.ok((await scu.release()).ok);
  });

  it('answers an unparseable identifier with 0xC000 and keeps the association', async () => {
    const scu = await open();
    const find = (id: number) => encodeQueryRq(CommandField.CFindRq, id, QueryRetrieveSopClass.StudyRootFind);
    const r = await scu.request(QueryRetrieveSopClass.StudyRootFind, find, Buffer.from([0x08, 0x00, 0x52, 0x00, 0x43, 0x53, 0xff, 0x00]));
    assert.ok(r.ok);
    assert.deepEqual(r.value.map((x) => x.command.status), [0xc000]);
    assert.ok((await scu.release()).ok);
  });
});

/**
 * Cross-checks with DCMTK and dicom3tools: files we write must be readable by them, and files
 * they write must be readable by us.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { EXPLICIT_LE, el, encodeDataset } from '../dataset/dataset-fixtures.js';
import { readInstanceHeader } from '../dataset/index.js';
import { buildFileMetaHeader, readFileMeta } from './index.js';

function toolMissing(t: TestContext, tool: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  if (found) return false;
  if (process.env.CI === 'true') assert.fail(`${tool} is required in CI but is not installed`);
  t.skip(`${tool} is not installed`);
  return true;
}

describe('Part 10 files and external toolkits', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kakutei-part10-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const sc = '1.2.840.10008.5.1.4.1.1.7';
  const writeOurs = (): string => {
    const dataset = encodeDataset(
      [
        el(0x00080005, 'CS', 'ISO_IR 192'),
        el(0x00080016, 'UI', sc),
        el(0x00080018, 'UI', '1.2.3.4.5'),
        el(0x00100010, 'PN', Buffer.from('Yamada^Tarou=山田^太郎', 'utf8')),
        el(0x0020000d, 'UI', '1.2.3'),
        el(0x0020000e, 'UI', '1.2.3.4'),
      ],
      EXPLICIT_LE,
    );
    const header = buildFileMetaHeader({
      mediaStorageSopClassUid: sc,
      mediaStorageSopInstanceUid: '1.2.3.4.5',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      implementationClassUid: '1.2.3.999',
      implementationVersionName: 'KAKUTEI_0',
      sourceApplicationEntityTitle: 'KAKUTEI',
    });
    const path = join(dir, 'ours.dcm');
    writeFileSync(path, Buffer.concat([header, dataset]));
    return path;
  };

  it('dcmdump parses our file meta header and dataset', (t) => {
    if (toolMissing(t, 'dcmdump')) return;
    const run = spawnSync('dcmdump', ['+E', writeOurs()], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /\(0002,0001\) OB 00\\01/);
    assert.match(run.stdout, /\(0002,0016\) AE \[KAKUTEI\]/);
    assert.match(run.stdout, /\(0008,0018\) UI \[1\.2\.3\.4\.5\]/);
  });

  it('dciodvfy reads our file (it may still list missing attributes)', (t) => {
    if (toolMissing(t, 'dciodvfy')) return;
    const run = spawnSync('dciodvfy', [writeOurs()], { encoding: 'utf8' });
    const output = run.stdout + run.stderr;
    assert.doesNotMatch(output, /read failed/i);
    assert.match(output, /SCImage/);
  });

  it('reads a file written by DCMTK dump2dcm (implicit VR, sequences, ISO 2022)', (t) => {
    if (toolMissing(t, 'dump2dcm')) return;
    const dump = join(dir, 'in.txt');
    const file = join(dir, 'dcmtk.dcm');
    writeFileSync(
      dump,
      [
        '(0002,0010) UI =LittleEndianImplicit',
        '(0008,0005) CS [\\ISO 2022 IR 87]',
        '(0008,0016) UI =CTImageStorage',
        '(0008,0018) UI [1.2.3.4.5.6]',
        '(0008,0020) DA [20240131]',
        '(0010,0020) LO [PID-9]',
        '(0020,000d) UI [1.2.3]',
        '(0020,000e) UI [1.2.3.4]',
        '(0040,0275) SQ (Sequence with undefined length)',
        '  (fffe,e000) na (Item with undefined length)',
        '    (0040,0009) SH [SPS-7]',
        '    (0040,1001) SH [RP-7]',
        '  (fffe,e00d) na (ItemDelimitationItem)',
        '(fffe,e0dd) na (SequenceDelimitationItem)',
        '',
      ].join('\n'),
    );
    const run = spawnSync('dump2dcm', ['--write-file', dump, file], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const bytes = readFileSync(file);
    const meta = readFileMeta(bytes);
    assert.ok(meta.ok, JSON.stringify(meta));
    if (!meta.ok) return;
    assert.equal(meta.value.transferSyntaxUid, '1.2.840.10008.1.2');
    assert.equal(meta.value.sopInstanceUid, '1.2.3.4.5.6');
    const header = readInstanceHeader({ bytes: bytes.subarray(meta.value.datasetOffset), complete: true, transferSyntaxUid: meta.value.transferSyntaxUid });
    assert.ok(header.ok, JSON.stringify(header));
    if (!header.ok) return;
    assert.equal(header.attributes.patientId, 'PID-9');
    assert.equal(header.attributes.requestedProcedureId, 'RP-7');
    assert.equal(header.attributes.scheduledProcedureStepId, 'SPS-7');
    assert.deepEqual(header.faults, []);
  });
});

/**
 * Every audit message Kakutei emits validates against the DICOM PS3.15 A.5.1 schema (schema/),
 * checked with xmllint. xmllint (Debian libxml2-utils) is required under CI.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ALL_AUDIT_ACTIONS, AUDIT_ACTIONS } from '../actions.js';
import type { AuditEventInput } from '../events.js';
import { chainHash, draftOf, GENESIS_HASH, type AuditEventRecord } from '../record.js';
import { sampleEvent, steppingClock } from '../testing/sample-events.js';
import { buildAuditMessage, type AuditMessageContext } from './audit-message.js';

// The schema is not compiled; it is read from the source tree beside dist/.
const SCHEMA = fileURLToPath(new URL('../../../src/audit/atna/schema/audit-message.rng', import.meta.url));
const context: AuditMessageContext = { auditSourceId: 'KAKUTEI', processUserId: 'kakutei', aeTitle: 'KAKUTEI', hostAddress: '192.0.2.1' };

const xmllintMissing = spawnSync('xmllint', ['--version']).error !== undefined;
if (xmllintMissing && process.env['CI'] === 'true') throw new Error('xmllint is required under CI (Debian package libxml2-utils)');

function recordOf(input: AuditEventInput, seq = 1): AuditEventRecord {
  const draft = draftOf(input, { clock: steppingClock() });
  return { ...draft, seq, prevHash: GENESIS_HASH, hash: chainHash(GENESIS_HASH, { ...draft, seq }) };
}

function xmllint(file: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile('xmllint', ['--noout', '--relaxng', SCHEMA, file], (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}` }));
  });
}

describe('ATNA audit messages (PS3.15 A.5.1 schema)', { skip: xmllintMissing ? 'xmllint not installed (libxml2-utils)' : false }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kakutei-atna-xml-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const validate = async (name: string, xml: string): Promise<void> => {
    const file = join(dir, `${name}.xml`);
    await writeFile(file, xml);
    const result = await xmllint(file);
    assert.ok(result.ok, `${name}: ${result.output}\n${xml}`);
  };

  for (const action of ALL_AUDIT_ACTIONS) {
    it(`validates for "${action}" with every kind of actor`, async () => {
      for (let i = 0; i < 4; i++) {
        const input = { ...sampleEvent(i), action, outcome: i === 3 ? (8 as const) : (0 as const), detail: { reason: 'refused', query: 'PatientID=PID-1', sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1' } };
        const xml = buildAuditMessage(recordOf(input, i + 1), context);
        assert.match(xml, new RegExp(`<EventID csd-code="${AUDIT_ACTIONS[action].eventId.code}" codeSystemName="DCM"`));
        await validate(`${action}-${i}`, xml);
      }
    });
  }

  it('names patient and study participants with their roles and counts, never a patient name', async () => {
    const input: AuditEventInput = {
      ...sampleEvent(1),
      action: 'view',
      objects: [
        { patientId: 'PID-9', studyInstanceUid: '1.2.3.4', seriesInstanceUids: ['1.2.3.4.1'], instanceCount: 12 },
        { patientId: 'PID-9', studyInstanceUid: '1.2.3.5', instanceCount: 3 },
      ],
    };
    const xml = buildAuditMessage(recordOf(input), context);
    await validate('participants', xml);
    assert.equal(xml.match(/ParticipantObjectTypeCodeRole="1"/g)?.length, 1, 'one patient');
    assert.match(xml, /<ParticipantObjectIdentification ParticipantObjectID="1.2.3.4" ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3"><ParticipantObjectIDTypeCode csd-code="110180"/);
    assert.match(xml, /<SOPClass NumberOfInstances="12"\/>/);
    assert.match(xml, /UserIsRequestor="true" NetworkAccessPointID="192.0.2.1" NetworkAccessPointTypeCode="2"/);
  });

  it('stays well-formed and valid with hostile text in every free field', async () => {
    const hostile = 'a"b<c>&d\u0000\u0007\uFFFF\uD800</AuditMessage>';
    const input: AuditEventInput = {
      action: 'login',
      outcome: 4,
      actor: { kind: 'anonymous', attemptedLoginName: hostile },
      source: { address: hostile, userAgent: hostile },
      objects: [{ patientId: hostile, studyInstanceUid: hostile }],
      breakGlass: true,
      maintenanceSessionId: hostile,
      detail: { reason: hostile },
    };
    await validate('hostile', buildAuditMessage(recordOf(input), context));
  });
});

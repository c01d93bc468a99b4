import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildStowResponse, FAILURE_REASON, failureReasonFor, stowHttpStatus } from './stow-response.js';

test('STOW response: retrieve URL, referenced and failed sequences, HTTP status (PS3.18 10.5.3)', () => {
  const stored = [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.4', retrieveUrl: 'https://h/dicomweb/studies/1/series/2/instances/1.2.3.4' }];
  const failed = [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.5', failureReason: failureReasonFor('SOP_CLASS_MISMATCH') }];
  const body = buildStowResponse({ studyRetrieveUrl: 'https://h/dicomweb/studies/1', stored, failed });
  assert.deepEqual(body['00081190'], { vr: 'UR', Value: ['https://h/dicomweb/studies/1'] });
  const failedItem = (body['00081198']!.Value as Record<string, { Value: unknown[] }>[])[0]!;
  assert.deepEqual(failedItem['00081197']!.Value, [0xa900]);
  assert.deepEqual(failedItem['00081155']!.Value, ['1.2.3.5']);
  const storedItem = (body['00081199']!.Value as Record<string, { Value: unknown[] }>[])[0]!;
  assert.deepEqual(storedItem['00081190']!.Value, [stored[0]!.retrieveUrl]);
  assert.equal(stowHttpStatus(stored, []), 200);
  assert.equal(stowHttpStatus(stored, failed), 202);
  assert.equal(stowHttpStatus([{ ...stored[0]!, warningReason: 0xb000 }], []), 202);
  assert.equal(stowHttpStatus([], failed), 409);
  assert.equal(failureReasonFor('STORAGE_FULL'), FAILURE_REASON.outOfResources);
  assert.equal(failureReasonFor('DATASET_UNPARSEABLE'), FAILURE_REASON.cannotUnderstand);
  assert.equal(failureReasonFor('SOP_CLASS_NOT_SUPPORTED'), FAILURE_REASON.sopClassNotSupported);
  assert.equal(failureReasonFor('ACCESS_DENIED'), FAILURE_REASON.notAuthorized);
  assert.equal(failureReasonFor('SOP_INSTANCE_MISMATCH'), FAILURE_REASON.cannotUnderstand);
});

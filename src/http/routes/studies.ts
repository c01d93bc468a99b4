import { z } from 'zod';
import { CONFIDENTIALITY_LEVELS, type StudyAccessRecord, type StudyResource } from '../../auth/index.js';
import { STUDY_NOT_FOUND_DETAIL, fail, unwrap } from '../problem.js';
import { NO_QUERY, defineRoute, type Route } from '../route.js';
import type { HttpServices } from '../services.js';
import { idParam, uidSchema } from './schemas.js';

/**
 * A study and its confidentiality (issue 3 item 1, R9.2). Reading a study passes the per-study
 * rules: a restricted study the caller may not see answers exactly like one that does not exist
 * (404, same body), so that its existence is never revealed (IDOR).
 */
const studyParams = z.object({ studyInstanceUid: uidSchema }).strict();
const grantParams = z.object({ studyInstanceUid: uidSchema, userId: idParam }).strict();
const confidentiality = z.enum(CONFIDENTIALITY_LEVELS as unknown as ['normal', 'restricted']);

const studyOf = (params: { readonly studyInstanceUid: string }, services: HttpServices): Promise<StudyResource | null> =>
  services.auth.studyAccess.resourceOf(params.studyInstanceUid);

const accessSchema = z.object({ studyInstanceUid: z.string(), confidentiality, grantedUserIds: z.array(z.string()) });
const accessJson = (a: StudyAccessRecord | StudyResource): z.input<typeof accessSchema> => ({
  studyInstanceUid: a.studyInstanceUid,
  confidentiality: a.confidentiality,
  grantedUserIds: [...a.grantedUserIds],
});

const read = defineRoute({
  method: 'GET',
  url: '/api/studies/:studyInstanceUid',
  summary: 'A study’s identifying attributes and confidentiality (recorded as a view)',
  tag: 'studies',
  access: 'study:read',
  audit: { action: 'view', writtenBy: 'route' },
  params: studyParams,
  query: NO_QUERY,
  body: null,
  response: {
    status: 200,
    schema: z.object({
      studyInstanceUid: z.string(),
      patientId: z.string().nullable(),
      studyDate: z.string().nullable(),
      accessionNumber: z.string().nullable(),
      confidentiality,
    }),
    description: 'The study',
  },
  errors: ['NOT_FOUND'],
  study: studyOf,
  async handler({ params, services, recordAccess }) {
    const [study, access] = await Promise.all([services.studies.getStudy(params.studyInstanceUid), services.auth.studyAccess.resourceOf(params.studyInstanceUid)]);
    if (study === null || access === null) return fail('NOT_FOUND', STUDY_NOT_FOUND_DETAIL);
    await recordAccess({ objects: [{ patientId: study.patient.patientId, studyInstanceUid: study.studyInstanceUid }] });
    return {
      studyInstanceUid: study.studyInstanceUid,
      patientId: study.patient.patientId,
      studyDate: study.studyDate,
      accessionNumber: study.accessionNumber,
      confidentiality: access.confidentiality,
    };
  },
});

const readAccess = defineRoute({
  method: 'GET',
  url: '/api/studies/:studyInstanceUid/confidentiality',
  summary: 'A study’s confidentiality level and the users granted it',
  tag: 'studies',
  access: 'study:set-confidentiality',
  audit: { action: null, reason: 'access settings only (level and user ids), no patient information; every change is a configuration-change event' },
  params: studyParams,
  query: NO_QUERY,
  body: null,
  response: { status: 200, schema: accessSchema, description: 'The settings' },
  errors: ['NOT_FOUND'],
  study: studyOf,
  async handler({ params, services }) {
    const access = await services.auth.studyAccess.resourceOf(params.studyInstanceUid);
    return access === null ? fail('NOT_FOUND', STUDY_NOT_FOUND_DETAIL) : accessJson(access);
  },
});

const setLevel = defineRoute({
  method: 'PUT',
  url: '/api/studies/:studyInstanceUid/confidentiality',
  summary: 'Set a study’s confidentiality (normal or restricted: staff, VIP patients)',
  tag: 'studies',
  access: 'study:set-confidentiality',
  audit: { action: 'configuration-change', writtenBy: 'service' },
  params: studyParams,
  query: NO_QUERY,
  body: z.object({ confidentiality }).strict(),
  response: { status: 200, schema: accessSchema, description: 'The settings as changed' },
  errors: ['NOT_FOUND'],
  study: studyOf,
  async handler({ params, body, acting, services }) {
    return accessJson(unwrap(await services.auth.studyAccess.setConfidentiality(acting(), params.studyInstanceUid, body.confidentiality)));
  },
});

const grant = (granting: boolean): Route =>
  defineRoute({
    method: granting ? 'PUT' : 'DELETE',
    url: '/api/studies/:studyInstanceUid/grants/:userId',
    summary: granting ? 'Grant a user access to a restricted study' : 'Revoke a user’s access to a restricted study',
    tag: 'studies',
    access: 'study:set-confidentiality',
    audit: { action: 'configuration-change', writtenBy: 'service' },
    params: grantParams,
    query: NO_QUERY,
    body: granting ? z.object({}).strict() : null,
    response: { status: 200, schema: accessSchema, description: 'The settings as changed' },
    errors: ['NOT_FOUND'],
    study: studyOf,
    async handler({ params, acting, services }) {
      const access = services.auth.studyAccess;
      const result = granting ? await access.grant(acting(), params.studyInstanceUid, params.userId) : await access.revoke(acting(), params.studyInstanceUid, params.userId);
      return accessJson(unwrap(result));
    },
  });

export const studyRoutes: readonly Route[] = [read, readAccess, setLevel, grant(true), grant(false)];

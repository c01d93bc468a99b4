import { z } from 'zod';
import { PEER_SERVICES } from '../../auth/index.js';
import { unwrap } from '../problem.js';
import { NO_QUERY, defineRoute, type Route } from '../route.js';

/**
 * DICOM peers (`peer:manage`: admins, and maintenance accounts inside a session) — the same
 * registry as `kakutei peer …`; changes reach the DICOM side within its cache TTL. Each change is a
 * `peer-change` event written with the change.
 */
const peerSchema = z.object({
  aeTitle: z.string(),
  host: z.string().nullable(),
  port: z.number().int().nullable(),
  name: z.string().nullable(),
  services: z.array(z.enum(PEER_SERVICES)),
  tlsCertificateSubject: z.string().nullable(),
  source: z.enum(['config', 'database']),
});

const list = defineRoute({
  method: 'GET',
  url: '/api/peers',
  summary: 'List DICOM peers (database and configuration)',
  tag: 'peers',
  access: 'peer:manage',
  audit: { action: null, reason: 'network configuration read: no patient information; every change is a peer-change event' },
  params: z.object({}).strict(),
  query: NO_QUERY,
  body: null,
  response: { status: 200, schema: z.object({ peers: z.array(peerSchema) }), description: 'The peers' },
  errors: [],
  async handler({ services }) {
    return { peers: (await services.auth.peers.list()).map((p) => ({ ...p, services: [...p.services] })) };
  },
});

const add = defineRoute({
  method: 'POST',
  url: '/api/peers',
  summary: 'Register a DICOM peer (AE title + address, optionally its TLS certificate subject)',
  tag: 'peers',
  access: 'peer:manage',
  audit: { action: 'peer-change', writtenBy: 'service' },
  params: z.object({}).strict(),
  query: NO_QUERY,
  body: z
    .object({
      aeTitle: z.string().min(1).max(16),
      host: z.string().min(1).max(253).nullable().optional(),
      port: z.number().int().min(1).max(65535).nullable().optional(),
      name: z.string().min(1).max(64).nullable().optional(),
      services: z.array(z.enum(PEER_SERVICES)).min(1),
      tlsCertificateSubject: z.string().min(1).max(1024).nullable().optional(),
    })
    .strict(),
  response: { status: 201, schema: peerSchema, description: 'Registered' },
  errors: ['ALREADY_EXISTS'],
  async handler({ body, acting, services }) {
    const input = {
      aeTitle: body.aeTitle,
      host: body.host ?? null,
      port: body.port ?? null,
      name: body.name ?? null,
      services: body.services,
      tlsCertificateSubject: body.tlsCertificateSubject ?? null,
    };
    const peer = unwrap(await services.auth.peers.add(acting(), input));
    return { ...peer, services: [...peer.services] };
  },
});

const remove = defineRoute({
  method: 'DELETE',
  url: '/api/peers/:aeTitle',
  summary: 'Remove a DICOM peer registered in the database',
  tag: 'peers',
  access: 'peer:manage',
  audit: { action: 'peer-change', writtenBy: 'service' },
  params: z.object({ aeTitle: z.string().min(1).max(16) }).strict(),
  query: NO_QUERY,
  body: null,
  response: { status: 204, schema: null, description: 'Removed' },
  errors: ['NOT_FOUND'],
  async handler({ params, acting, services }) {
    unwrap(await services.auth.peers.remove(acting(), params.aeTitle));
    return undefined;
  },
});

export const peerRoutes: readonly Route[] = [list, add, remove];

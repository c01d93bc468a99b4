/**
 * ATNA over TLS (RFC 5425): audit messages reach a real rsyslog listening with the GnuTLS
 * network stream driver (Debian packages rsyslog and rsyslog-gnutls, required under CI), and a
 * repository whose certificate our CA did not issue gets nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createSqlAuditStore, type SqlAuditStore } from '../../index/audit-store.js';
import { createTestDatabase, type TestDatabase } from '../../index/testing/test-databases.js';
import { silentLogger } from '../../log/index.js';
import { AuditTrail } from '../audit-trail.js';
import { sampleEvent, steppingClock } from '../testing/sample-events.js';
import { AtnaForwarder } from './forwarder.js';
import { freePort, until } from '../../testing/net.js';
import { RSYSLOGD, startRsyslog } from '../../testing/rsyslog.js';

const GTLS = ['/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/rsyslog/lmnsd_gtls.so'].some((path) => existsSync(path));
const OPENSSL = spawnSync('openssl', ['version']).error === undefined;
const missing = RSYSLOGD === undefined || !GTLS || !OPENSSL;
if (missing && process.env['CI'] === 'true') throw new Error('rsyslogd with rsyslog-gnutls and openssl are required under CI');



/** A CA, the repository's certificate for 127.0.0.1, and our client certificate; and an unrelated CA. */
function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  for (const ca of ['ca', 'other-ca']) openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=${ca}`);
  for (const [name, subject, ext] of [
    ['server', '/CN=arr.local', 'subjectAltName=IP:127.0.0.1'],
    ['client', '/CN=kakutei', 'subjectAltName=DNS:kakutei'],
  ] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  }
}

describe('ATNA forwarding over TLS to rsyslog', { skip: missing ? 'rsyslogd, rsyslog-gnutls or openssl missing' : false }, () => {
  let dir: string;
  let t: TestDatabase;
  let store: SqlAuditStore;
  let trail: AuditTrail;
  let rsyslog: ChildProcess | null = null;
  let port = 0;
  const outFile = () => join(dir, 'received.log');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kakutei-atna-tls-'));
    makeCertificates(dir);
    t = await createTestDatabase('sqlite');
    store = createSqlAuditStore(t.db, { clock: steppingClock() });
    trail = new AuditTrail({ store, clock: steppingClock(), logger: silentLogger() });
    port = await freePort();
    rsyslog = await startRsyslog({
      dir,
      port,
      outFile: outFile(),
      fields: ['app-name', 'msgid', 'msg'],
      tls: { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') },
    });
  });
  after(async () => {
    rsyslog?.kill('SIGTERM');
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const forwarder = (caFile: string, spool: string) =>
    new AtnaForwarder({
      dataDir: join(dir, spool),
      events: store,
      destination: { host: '127.0.0.1', port, tls: { caFile, certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') } },
      context: { auditSourceId: 'KAKUTEI', processUserId: 'kakutei', aeTitle: 'KAKUTEI' },
      clock: steppingClock(),
      logger: silentLogger(),
      pollIntervalMs: 60_000,
      minBackoffMs: 10,
      maxBackoffMs: 50,
    });

  it('refuses a repository whose certificate our CA did not issue, keeping the events spooled', async () => {
    await trail.record(sampleEvent(1));
    const untrusting = forwarder(join(dir, 'other-ca.crt'), 'spool-untrusting');
    await untrusting.start();
    await untrusting.pump();
    assert.ok((await untrusting.pendingBytes()) > 0, 'still spooled: the repository was not trusted');
    await untrusting.stop();
    const text = await readFile(outFile(), 'utf8').catch(() => '');
    assert.equal(text, '', 'nothing reached the untrusted repository');
  });

  it('delivers audit messages over TLS', async () => {
    await trail.record(sampleEvent(2));
    const sender = forwarder(join(dir, 'ca.crt'), 'spool-trusting');
    await sender.start();
    await until(async () => {
      await delay(20);
      await sender.pump();
      const lines = (await readFile(outFile(), 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');
      return (await sender.pendingBytes()) === 0 && lines.length >= 2;
    }, 'delivery over TLS');
    await sender.stop();
    const lines = (await readFile(outFile(), 'utf8')).split('\n').filter((line) => line !== '');
    for (const line of lines) {
      const [appName, , body] = line.split('|');
      assert.equal(appName, 'kakutei');
      assert.match(body ?? '', /<AuditMessage/);
    }
  });
});

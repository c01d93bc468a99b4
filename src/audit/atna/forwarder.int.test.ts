/**
 * ATNA delivery to a real syslog daemon (Debian rsyslog, imtcp with octet-counted framing) started
 * by the test: messages are spooled on disk while it is down — across a restart of the sender —
 * and delivered, each once and in order, once it is up. rsyslogd is required under CI.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
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

if (RSYSLOGD === undefined && process.env['CI'] === 'true') throw new Error('rsyslogd is required under CI (Debian package rsyslog)');

interface Received {
  readonly facility: number;
  readonly severity: number;
  readonly appName: string;
  readonly msgId: string;
  readonly body: string;
}

async function received(outFile: string): Promise<Received[]> {
  const text = await readFile(outFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [facility, severity, appName, msgId, ...rest] = line.split('|');
      return { facility: Number(facility), severity: Number(severity), appName: appName ?? '', msgId: msgId ?? '', body: rest.join('|').replace(/^\uFEFF/, '') };
    });
}

describe('ATNA forwarding to rsyslog', { skip: RSYSLOGD === undefined ? 'rsyslogd not installed (Debian package rsyslog)' : false }, () => {
  let dir: string;
  let t: TestDatabase;
  let store: SqlAuditStore;
  let trail: AuditTrail;
  let rsyslog: ChildProcess | null = null;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kakutei-atna-'));
    t = await createTestDatabase('sqlite');
    store = createSqlAuditStore(t.db, { clock: steppingClock() });
    trail = new AuditTrail({ store, clock: steppingClock(), logger: silentLogger() });
  });
  after(async () => {
    rsyslog?.kill('SIGTERM');
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('spools while the repository is down, across a restart, then delivers each message once, in order', async () => {
    const port = await freePort();
    const outFile = join(dir, 'received.log');
    const forwarder = () =>
      new AtnaForwarder({
        dataDir: dir,
        events: store,
        destination: { host: '127.0.0.1', port, tls: null },
        context: { auditSourceId: 'KAKUTEI', processUserId: 'kakutei', aeTitle: 'KAKUTEI' },
        clock: steppingClock(),
        logger: silentLogger(),
        pollIntervalMs: 60_000,
        minBackoffMs: 10,
        maxBackoffMs: 50,
      });

    const first = forwarder();
    await first.start();
    for (let i = 1; i <= 3; i++) await trail.record(sampleEvent(i));
    await first.pump();
    assert.ok((await first.pendingBytes()) > 0, 'spooled while the repository is down');
    await first.stop();

    const second = forwarder();
    await second.start();
    for (let i = 4; i <= 5; i++) await trail.record(sampleEvent(i));
    await second.pump();
    await second.emitCheckpoint({ seq: 5, hash: 'a'.repeat(64), time: '2024-05-01T10:00:00.000Z', keyId: '0123456789abcdef', signature: 'c2ln' });

    rsyslog = await startRsyslog({ dir, port, outFile, fields: ['syslogfacility', 'syslogseverity', 'app-name', 'msgid', 'msg'] });
    await until(async () => {
      await delay(20); // past the backoff
      await second.pump();
      return (await second.pendingBytes()) === 0 && (await received(outFile)).length >= 6;
    }, 'delivery of the spool');
    await second.stop();

    const messages = await received(outFile);
    const audits = messages.filter((m) => m.msgId === 'IHE+RFC-3881');
    assert.equal(audits.length, 5, 'each event exactly once');
    const seqs = audits.map((m) => Buffer.from(/type="seq" value="([^"]+)"/.exec(m.body)?.[1] ?? '', 'base64').toString());
    assert.deepEqual(seqs, ['1', '2', '3', '4', '5'], 'in chain order');
    for (const message of audits) {
      assert.equal(message.facility, 10, 'authpriv');
      assert.equal(message.appName, 'kakutei');
      assert.match(message.body, /^<AuditMessage><EventIdentification /);
    }
    const checkpoint = messages.find((m) => m.msgId === 'KAKUTEI-CKPT');
    assert.deepEqual(JSON.parse(checkpoint?.body ?? 'null'), { seq: 5, hash: 'a'.repeat(64), time: '2024-05-01T10:00:00.000Z', keyId: '0123456789abcdef', signature: 'c2ln' });
  });
});

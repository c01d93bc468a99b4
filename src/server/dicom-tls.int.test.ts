import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../config/index.js';
import { silentLogger } from '../log/index.js';
import { run } from '../testing/dcmtk.js';
import { hasTool, requireTools } from '../testing/tools.js';
import { startServer } from './start-server.js';
import type { RunningServer } from './start-server.js';

/** A CA, a server certificate and a client certificate for a modality (CN=CT01), made by openssl. */
function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Kakutei Test CA');
  for (const [name, subject] of [['server', '/CN=localhost'], ['client', '/O=Hospital/CN=CT01']] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2');
  }
}

describe('DICOM over TLS (PS3.15 B.9/B.13)', () => {
  let dir: string;
  let server: RunningServer | null = null;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kakutei-tls-'));
    if (!hasTool('openssl') || !hasTool('echoscu')) return;
    makeCertificates(dir);
    const config = configSchema.parse({
      dataDir: join(dir, 'data'),
      http: { port: 0, host: '127.0.0.1' },
      dicom: {
        port: 0,
        host: '127.0.0.1',
        openStorage: false,
        tls: { port: 0, certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt'), requireClientCertificate: true },
        peers: [{ aeTitle: 'CT01', allow: ['echo', 'store'], tlsCertificateSubject: 'O=Hospital,CN=CT01' }],
      },
    });
    const started = await startServer(config, silentLogger());
    assert.ok(started.ok);
    server = started.value;
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const echo = (args: string[]) => run('echoscu', ['-aet', 'CT01', '-aec', 'KAKUTEI', ...args, '127.0.0.1', String(server!.dicomTlsPort)]);

  it('accepts a modality presenting its certificate, and maps the certificate to its AE', async (t) => {
    if (!requireTools(t, 'openssl', 'echoscu')) return;
    const result = await echo(['+tls', join(dir, 'client.key'), join(dir, 'client.crt'), '+cf', join(dir, 'ca.crt')]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it('refuses a peer without a client certificate, and plain TCP on the TLS port', async (t) => {
    if (!requireTools(t, 'openssl', 'echoscu')) return;
    const anonymous = await echo(['+tla', '+cf', join(dir, 'ca.crt')]);
    assert.notEqual(anonymous.code, 0);
    const plain = await echo([]);
    assert.notEqual(plain.code, 0);
  });

  it('does not recognise the registered AE title over plain TCP without its certificate', async (t) => {
    if (!requireTools(t, 'openssl', 'echoscu')) return;
    // openStorage is off: the AE is known only with its certificate, so plain TCP is refused.
    const result = await run('echoscu', ['-aet', 'CT01', '-aec', 'KAKUTEI', '127.0.0.1', String(server!.dicomPort)]);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /Rejected|Calling AE Title Not Recognized/i);
  });
});

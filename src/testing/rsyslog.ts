/**
 * A real syslog daemon for the ATNA tests: Debian's rsyslogd with imtcp (octet-counted framing),
 * optionally behind the GnuTLS network stream driver (RFC 5425), writing each received message to
 * a file as one line of `template` fields. Started in the test's directory on a port of its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { until } from './net.js';

/** The rsyslogd binary, or undefined when it is not installed (Debian package rsyslog). */
export const RSYSLOGD: string | undefined = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'].find((path) => spawnSync(path, ['-v']).error === undefined);

export interface RsyslogOptions {
  readonly dir: string;
  readonly port: number;
  /** Where the received messages go, one line each. */
  readonly outFile: string;
  /** rsyslog property names joined by `|` on each line, e.g. `['app-name', 'msgid', 'msg']`. */
  readonly fields: readonly string[];
  /** Listen with TLS (server certificate and key, and the CA it trusts); plain TCP when absent. */
  readonly tls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
}

/** Starts rsyslogd in the foreground and resolves once it accepts connections on `port`. */
export async function startRsyslog(options: RsyslogOptions): Promise<ChildProcess> {
  if (RSYSLOGD === undefined) throw new Error('rsyslogd is not installed (Debian package rsyslog)');
  const { dir, port, outFile, tls } = options;
  const conf = join(dir, 'rsyslog.conf');
  const global = tls === undefined ? '' : ` DefaultNetstreamDriverCAFile="${tls.caFile}" DefaultNetstreamDriverCertFile="${tls.certFile}" DefaultNetstreamDriverKeyFile="${tls.keyFile}"`;
  const template = options.fields.map((field) => `%${field}%`).join('|');
  await writeFile(
    conf,
    [
      `global(workDirectory="${dir}" maxMessageSize="64k"${global})`,
      tls === undefined ? 'module(load="imtcp")' : 'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.Authmode="anon")',
      `input(type="imtcp" port="${port}" address="127.0.0.1")`,
      `template(name="fields" type="string" string="${template}\\n")`,
      `*.* action(type="omfile" file="${outFile}" template="fields")`,
      '',
    ].join('\n'),
  );
  const child = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: 'ignore' });
  await until(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      }),
    'rsyslogd to listen',
  );
  return child;
}

import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';

/** Where audit messages go: an IHE Audit Record Repository (ITI-20) over TCP, or TLS (RFC 5425). */
export interface AtnaDestination {
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly caFile: string; readonly certFile: string; readonly keyFile: string } | null;
}

/**
 * One connection to the repository, opened on demand and dropped on any error. Syslog over TCP
 * has no acknowledgement (RFC 6587): a write counts as sent once the kernel accepted it, so a
 * connection lost at that moment may lose what was in flight — the signed checkpoints and the
 * database chain remain the record of truth.
 */
export class SyslogConnection {
  private socket: net.Socket | null = null;

  constructor(
    private readonly destination: AtnaDestination,
    private readonly connectTimeoutMs: number,
  ) {}

  async write(bytes: Buffer): Promise<void> {
    const socket = this.socket ?? (await this.connect());
    await new Promise<void>((resolve, reject) => socket.write(bytes, (error) => (error === undefined || error === null ? resolve() : reject(error))));
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private async connect(): Promise<net.Socket> {
    const { host, port } = this.destination;
    const options = this.destination.tls;
    const secure =
      options === null
        ? null
        : { ca: await readFile(options.caFile), cert: await readFile(options.certFile), key: await readFile(options.keyFile), minVersion: 'TLSv1.2' as const };
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = secure === null ? net.connect({ host, port }) : tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined, ...secure });
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), this.connectTimeoutMs);
      const ready = secure === null ? 'connect' : 'secureConnect';
      socket.once(ready, () => {
        clearTimeout(timer);
        this.socket = socket;
        resolve(socket);
      });
      socket.once('error', (error: Error) => {
        clearTimeout(timer);
        if (this.socket === socket) this.socket = null;
        reject(error);
      });
      socket.once('close', () => {
        if (this.socket === socket) this.socket = null;
      });
      // The repository never talks back; anything it sends is drained and ignored.
      socket.on('data', () => undefined);
    });
  }
}

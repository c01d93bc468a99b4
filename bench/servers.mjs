// The servers under test. Each `start` gets a fresh storage directory and free ports, waits until
// C-ECHO succeeds, and returns a handle with the process, its port and AE title. `wrapper` (e.g.
// `['strace', '-f', …]`) runs the server under another command; the handle's process is then the
// wrapper's.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
import { countFiles, DCMTK_ENV, freePort, hasExecutable, LOOPBACK, startProcess, waitForEcho, which } from './lib.mjs';

const ORTHANC = '/usr/sbin/Orthanc';

export const SERVERS = {
  kakutei: kakuteiServer('Kakutei', process.env.KAKUTEI_BENCH_DIST ?? 'dist'),
  // Another build of Kakutei in the same run (KAKUTEI_BENCH_BASE_DIST, relative to the checkout):
  // `--servers kakutei,kakutei-base,orthanc` lets two builds take turns within each round.
  'kakutei-base': kakuteiServer(`Kakutei (${process.env.KAKUTEI_BENCH_BASE_DIST ?? 'no base build'})`, process.env.KAKUTEI_BENCH_BASE_DIST ?? null),
  storescp: {
    label: 'storescp',
    unavailable: (isolated) => (which('storescp') === null ? 'storescp not on PATH' : isolated ? null : 'storescp binds every interface; needs a private network namespace (unshare, root)'),
    async start(dir, { wrapper = [] } = {}) {
      const port = await freePort();
      const out = join(dir, 'received');
      mkdirSync(out, { recursive: true });
      // One process (no --fork), all transfer syntaxes (+xa); storescp accepts every storage SOP class by default.
      const proc = startWrapped(wrapper, 'storescp', ['+xa', '-aet', 'STORESCP', '-od', out, String(port)], join(dir, 'storescp.log'), DCMTK_ENV);
      await waitForEcho(port, 'STORESCP', proc);
      return { proc, port, ae: 'STORESCP', stored: async () => countFiles(out) };
    },
  },
  orthanc: {
    label: 'Orthanc',
    unavailable: (isolated) => (!hasExecutable(ORTHANC) ? `${ORTHANC} missing` : isolated ? null : 'Orthanc binds every interface; needs a private network namespace (unshare, root)'),
    async start(dir, { wrapper = [] } = {}) {
      const dicomPort = await freePort();
      const httpPort = await freePort();
      const config = {
        Name: 'bench',
        StorageDirectory: join(dir, 'storage'),
        IndexDirectory: join(dir, 'index'),
        StorageCompression: false,
        SyncStorageArea: true, // its default: fsync like a server that means it
        DicomAet: 'ORTHANC',
        DicomPort: dicomPort,
        HttpPort: httpPort,
        HttpServerEnabled: true, // for the stored-instance count only
        RemoteAccessAllowed: false,
        AuthenticationEnabled: false,
        DicomCheckCalledAet: false,
        // Stores only from known modalities, so the benchmark's SCU is declared.
        DicomAlwaysAllowStore: false,
        DicomModalities: { bench: ['BENCH', LOOPBACK, 104] },
        Plugins: [],
      };
      const path = join(dir, 'orthanc.json');
      writeFileSync(path, JSON.stringify(config, null, 2));
      const proc = startWrapped(wrapper, ORTHANC, [path], join(dir, 'orthanc.log'), DCMTK_ENV);
      await waitForEcho(dicomPort, 'ORTHANC', proc);
      const stored = async () => {
        const response = await fetch(`http://${LOOPBACK}:${httpPort}/statistics`);
        return (await response.json()).CountInstances;
      };
      return { proc, port: dicomPort, ae: 'ORTHANC', stored };
    },
  },
};

/** `command` started under `wrapper` (none: as it is). */
function startWrapped(wrapper, command, args, logPath, env) {
  return wrapper.length === 0 ? startProcess(command, args, logPath, env) : startProcess(wrapper[0], [...wrapper.slice(1), command, ...args], logPath, env);
}

/** Kakutei from the build in `dist` (a directory relative to the checkout), or unavailable without one. */
function kakuteiServer(label, dist) {
  // kakutei.js: the entry of builds before the CommonJS one (a base build of an older commit).
  const entry = (name) => resolve(HERE, '..', dist, 'cli', name);
  const cli = dist === null ? null : existsSync(entry('kakutei.cjs')) ? entry('kakutei.cjs') : entry('kakutei.js');
  return {
    label,
    /** Why it cannot run here, or null. */
    // Kakutei is told to bind to loopback, so it may run with or without a private namespace.
    unavailable: () => (cli === null ? 'KAKUTEI_BENCH_BASE_DIST not set' : existsSync(cli) ? null : `${cli} missing (run npm run build)`),
    async start(dir, { wrapper = [] } = {}) {
      const dicomPort = await freePort();
      const httpPort = await freePort();
      const data = join(dir, 'data');
      mkdirSync(data, { recursive: true });
      const config = join(dir, 'kakutei.json');
      writeFileSync(config, JSON.stringify({ http: { host: LOOPBACK }, dicom: { host: LOOPBACK } }));
      // KAKUTEI_BENCH_NODE_FLAGS: flags for Node itself (e.g. --cpu-prof, which NODE_OPTIONS refuses).
      const nodeFlags = (process.env.KAKUTEI_BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
      const proc = startWrapped(wrapper, process.execPath, [...nodeFlags, cli, 'serve', '--config', config, '--data', data, '--dicom-port', String(dicomPort), '--http-port', String(httpPort), '--ae-title', 'KAKUTEI'], join(dir, 'kakutei.log'), process.env);
      await waitForEcho(dicomPort, 'KAKUTEI', proc);
      // Objects are stored by content hash (one file each); unknown layout → no check.
      const objects = join(data, 'objects', 'sha256');
      return { proc, port: dicomPort, ae: 'KAKUTEI', stored: async () => (existsSync(objects) ? countFiles(objects) : null) };
    },
  };
}

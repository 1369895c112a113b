import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { ensureLocalCertificates, issueCertificate } from '@triad/cli';
import { createLogger } from '@triad/observability';
import { realEnvironment } from '@triad/runtime';
import { TlsReloader, readHttpTls } from '../src/http/tls-reloader';

/** The HTTPS API's certificate is swapped when its files change, and only for a pair that loads. */

let dir: string;
let certDir: string;
let server: https.Server;
let port: number;
const log = createLogger({ nodeId: 'router-test', zone: 'a', role: 'router' }, undefined, realEnvironment);
const files = () => ({ certFile: path.join(certDir, 'tls.crt'), keyFile: path.join(certDir, 'tls.key') });

function served(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: fs.readFileSync(path.join(dir, 'ca', 'ca.crt')), servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-reload-'));
  certDir = ensureLocalCertificates(dir, ['router'], Date.now()).get('router')!;
  server = https.createServer(readHttpTls(files()), (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('unchanged files: nothing to do; renewed files: served to new connections; a mismatched pair: the old one kept', async () => {
  const reloader = new TlsReloader(server, files(), log, realEnvironment);
  const before = await served();
  expect(reloader.check()).toBe(false);

  issueCertificate(path.join(dir, 'ca'), certDir, { nowMs: Date.now() + 1_000, name: 'router' });
  expect(reloader.check()).toBe(true);
  const renewed = await served();
  expect(renewed).not.toBe(before);

  // A half-done renewal: a new key beside the old certificate does not load, and is not served.
  const stray = ensureLocalCertificates(path.join(dir, 'other'), ['x'], Date.now()).get('x')!;
  fs.copyFileSync(path.join(stray, 'tls.key'), path.join(certDir, 'tls.key'));
  expect(reloader.check()).toBe(false);
  expect(await served()).toBe(renewed);
  expect(reloader.reloads).toBe(1);
});

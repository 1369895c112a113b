import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GRPC_TLS_FILES } from '@triad/rpc';
import { makeCertificate, newKeyPair, toPem, type Issuer } from './x509';

/**
 * A development cluster CA and the certificates it issues, as files: `triad certs init | issue`,
 * `npm start` and the test clusters. A CA directory holds `ca.crt` and `ca.key`; an issued
 * directory holds `ca.crt`, `tls.crt` and `tls.key` (the names cert-manager gives a Secret's keys,
 * so that a Kubernetes Secret mounts as such a directory).
 */

export const CA_KEY_FILE = 'ca.key';
/** A development CA lives ten years; rotate it as docs/operations.md says. */
export const CA_VALIDITY_DAYS_DEFAULT = 3650;
/** Node certificates live a year by default: long enough for a lab, short enough to rehearse rotation. */
export const CERT_VALIDITY_DAYS_DEFAULT = 365;
/** Validity starts this much before now, so that a peer whose clock is a little behind accepts it. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const ORGANIZATION = 'Triad cluster';

/** The names every local certificate answers to, so that loopback clusters need no --host. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'];

export interface CaFiles {
  certPath: string;
  keyPath: string;
}

export function caFiles(caDir: string): CaFiles {
  return { certPath: path.join(caDir, GRPC_TLS_FILES.ca), keyPath: path.join(caDir, CA_KEY_FILE) };
}

function writePrivate(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

/**
 * Makes a CA in `caDir` (created, private to the user). Refuses to replace an existing one unless
 * `force`: every certificate it issued would stop being trusted.
 */
export function initCa(caDir: string, options: { nowMs: number; commonName?: string; days?: number; force?: boolean }): CaFiles {
  const files = caFiles(caDir);
  if (!options.force && (fs.existsSync(files.certPath) || fs.existsSync(files.keyPath))) {
    throw new Error(`${caDir} already holds a CA (${GRPC_TLS_FILES.ca}, ${CA_KEY_FILE}); pass --force to replace it`);
  }
  fs.mkdirSync(caDir, { recursive: true, mode: 0o700 });
  const keys = newKeyPair();
  const subject = { commonName: options.commonName ?? 'Triad cluster CA', organization: ORGANIZATION };
  const notBefore = new Date(options.nowMs - CLOCK_SKEW_MS);
  const notAfter = new Date(options.nowMs + (options.days ?? CA_VALIDITY_DAYS_DEFAULT) * DAY_MS);
  const der = makeCertificate({ subject, publicKey: keys.publicKey, notBefore, notAfter, isCa: true }, { subject, ...keys });
  writePrivate(files.keyPath, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  fs.writeFileSync(files.certPath, toPem(der));
  return files;
}

function loadIssuer(caDir: string): { issuer: Issuer; caPem: string } {
  const files = caFiles(caDir);
  if (!fs.existsSync(files.certPath) || !fs.existsSync(files.keyPath)) {
    throw new Error(`no CA in ${caDir}: run \`triad certs init --ca-dir ${caDir}\` first`);
  }
  const caPem = fs.readFileSync(files.certPath, 'utf8');
  const certificate = new crypto.X509Certificate(caPem);
  const privateKey = crypto.createPrivateKey(fs.readFileSync(files.keyPath));
  const commonName = /CN=([^\n]+)/.exec(certificate.subject)?.[1] ?? 'Triad cluster CA';
  const organization = /O=([^\n]+)/.exec(certificate.subject)?.[1];
  return { issuer: { subject: { commonName, organization }, privateKey, publicKey: certificate.publicKey }, caPem };
}

export interface IssueOptions {
  nowMs: number;
  /** The certificate's common name: the process or person it is for (`storage-a-1`, `router-1`, `admin`). */
  name: string;
  /** DNS names and IP addresses it answers to, beside the loopback ones. */
  hosts?: string[];
  days?: number;
}

/**
 * Issues a node (or client) certificate signed by the CA in `caDir` into `outDir`: `ca.crt` (the
 * CA, to trust peers by), `tls.crt` and `tls.key`. Every certificate serves and connects
 * (serverAuth and clientAuth): each Triad process is both a gRPC server and a client.
 */
export function issueCertificate(caDir: string, outDir: string, options: IssueOptions): string {
  const { issuer, caPem } = loadIssuer(caDir);
  const keys = newKeyPair();
  const notBefore = new Date(options.nowMs - CLOCK_SKEW_MS);
  const notAfter = new Date(options.nowMs + (options.days ?? CERT_VALIDITY_DAYS_DEFAULT) * DAY_MS);
  const hosts = [...new Set([...LOOPBACK_HOSTS, ...(options.hosts ?? [])])];
  const der = makeCertificate(
    { subject: { commonName: options.name, organization: ORGANIZATION }, publicKey: keys.publicKey, notBefore, notAfter, isCa: false, hosts },
    issuer,
  );
  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  // Key first, certificate last: a process reloading on the certificate's change finds its key ready.
  writePrivate(path.join(outDir, GRPC_TLS_FILES.key), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  fs.writeFileSync(path.join(outDir, GRPC_TLS_FILES.ca), caPem);
  fs.writeFileSync(path.join(outDir, GRPC_TLS_FILES.cert), toPem(der));
  return outDir;
}

/**
 * The local cluster's certificates under `tlsDir` (`<data dir>/tls`): the CA in `ca/`, made on first
 * use, and one directory per process name, issued when missing. Returns each name's directory.
 */
export function ensureLocalCertificates(tlsDir: string, names: string[], nowMs: number): Map<string, string> {
  const caDir = path.join(tlsDir, 'ca');
  if (!fs.existsSync(caFiles(caDir).certPath)) initCa(caDir, { nowMs, commonName: 'Triad local cluster CA' });
  const caPem = fs.readFileSync(caFiles(caDir).certPath, 'utf8');
  const dirs = new Map<string, string>();
  for (const name of names) {
    const dir = path.join(tlsDir, name);
    const certFile = path.join(dir, GRPC_TLS_FILES.cert);
    const current =
      fs.existsSync(certFile) &&
      fs.existsSync(path.join(dir, GRPC_TLS_FILES.key)) &&
      fs.existsSync(path.join(dir, GRPC_TLS_FILES.ca)) &&
      fs.readFileSync(path.join(dir, GRPC_TLS_FILES.ca), 'utf8') === caPem &&
      new Date(new crypto.X509Certificate(fs.readFileSync(certFile)).validTo).getTime() > nowMs + DAY_MS;
    if (!current) issueCertificate(caDir, dir, { nowMs, name });
    dirs.set(name, dir);
  }
  return dirs;
}

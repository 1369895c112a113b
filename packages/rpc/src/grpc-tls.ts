import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS } from './proto-loader';

/**
 * Mutual TLS for every gRPC channel between Triad processes (storage node to storage node, router
 * to storage node, gossip, CLI to node). One cluster CA: a process serves with its certificate
 * and requires one signed by the CA from every client; it connects with its certificate and
 * trusts only servers the CA signed. The CA is the identity: any certificate it signed is a
 * member of the cluster (docs/security.md), so a server's host name is not checked against its
 * certificate — addresses change (pods, the lab's namespaces) while membership does not.
 */

/** The files of a TLS directory: the names cert-manager gives a Secret's keys, so that one mounts as is. */
export const GRPC_TLS_FILES = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' } as const;

/** The PEM contents a process needs for mutual TLS: the cluster CA (a bundle, during a CA rotation), its certificate and key. */
export interface GrpcTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Where they were read from, for logs and error messages. */
  source: string;
}

/**
 * How a process's gRPC channels are secured: mutual TLS (production, `npm start`, the test
 * clusters) or plaintext (`insecure`: only for code that runs both ends in one process, and for
 * clusters started with TLS explicitly turned off).
 */
export type GrpcSecurity = { kind: 'mtls'; tls: GrpcTls } | { kind: 'insecure' };

export const INSECURE: GrpcSecurity = { kind: 'insecure' };

/** Reads `ca.crt`, `tls.crt` and `tls.key` from `dir`; throws naming a missing file. */
export function loadGrpcTls(dir: string): GrpcTls {
  const read = (name: string) => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new Error(`TLS directory ${dir} has no ${name} (it needs ${Object.values(GRPC_TLS_FILES).join(', ')})`);
    return fs.readFileSync(file);
  };
  return { ca: read(GRPC_TLS_FILES.ca), cert: read(GRPC_TLS_FILES.cert), key: read(GRPC_TLS_FILES.key), source: dir };
}

/** mTLS from a directory, or plaintext when none is given. */
export function grpcSecurityFrom(tlsDir: string | undefined): GrpcSecurity {
  return tlsDir ? { kind: 'mtls', tls: loadGrpcTls(tlsDir) } : INSECURE;
}

/** The chain to the cluster CA is checked; the host name is not (see the file's header). */
const ANY_SERVER_NAME = (): undefined => undefined;

/**
 * One credentials object per TLS material: grpc-js shares a connection between channels to the
 * same address only when their credentials are the same object (with the same host-name check),
 * as all plaintext channels are — so a process keeps one connection per peer either way.
 */
const credentialsByTls = new WeakMap<GrpcTls, grpc.ChannelCredentials>();

/** The credentials of a client channel: present our certificate, trust servers the cluster CA signed. */
export function channelCredentials(security: GrpcSecurity): grpc.ChannelCredentials {
  if (security.kind === 'insecure') return grpc.credentials.createInsecure();
  let credentials = credentialsByTls.get(security.tls);
  if (!credentials) {
    const { ca, key, cert } = security.tls;
    credentials = grpc.credentials.createSsl(ca, key, cert, { checkServerIdentity: ANY_SERVER_NAME });
    credentialsByTls.set(security.tls, credentials);
  }
  return credentials;
}

/**
 * The channel options for `security`: with TLS, the name a client asks for (SNI) is a fixed one,
 * since peers are reached by IP address (which SNI may not carry) and host names are not checked.
 */
export function channelOptions(security: GrpcSecurity): grpc.ChannelOptions {
  return security.kind === 'insecure' ? CHANNEL_OPTIONS : { ...CHANNEL_OPTIONS, 'grpc.ssl_target_name_override': TLS_SERVER_NAME };
}

/** The server name every Triad client asks for over TLS. */
export const TLS_SERVER_NAME = 'triad';

/** The credentials of a server: serve our certificate, refuse any client without one the cluster CA signed. */
export function serverCredentials(security: GrpcSecurity): grpc.ServerCredentials {
  if (security.kind === 'insecure') return grpc.ServerCredentials.createInsecure();
  const { ca, key, cert } = security.tls;
  return grpc.ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], true);
}

/** The environment variables every process reads for its gRPC security (beside its flags). */
export const GRPC_TLS_ENV = { dir: 'TRIAD_GRPC_TLS_DIR', insecure: 'TRIAD_GRPC_INSECURE' } as const;

/**
 * A process's gRPC security from its `--grpc-tls-dir` / `--grpc-insecure` flags: one of them must
 * be given, so that plaintext is a choice someone made and never a forgotten setting.
 */
export function grpcSecurityFromFlags(flags: { tlsDir?: string; insecure?: boolean }): GrpcSecurity {
  if (flags.tlsDir && flags.insecure) throw new Error('--grpc-tls-dir and --grpc-insecure exclude each other');
  if (flags.tlsDir) return { kind: 'mtls', tls: loadGrpcTls(flags.tlsDir) };
  if (flags.insecure) return INSECURE;
  throw new Error(`gRPC needs --grpc-tls-dir DIR (mutual TLS with the cluster CA: ${Object.values(GRPC_TLS_FILES).join(', ')}) or --grpc-insecure (plaintext)`);
}

/** True for the values of TRIAD_GRPC_INSECURE that turn it on. */
export function envFlag(value: string | undefined): boolean {
  return value === '1' || value === 'true' || value === 'yes';
}

import path from 'node:path';
import { parseArgs } from 'node:util';
import { GRPC_TLS_FILES } from '@triad/rpc';
import { CA_KEY_FILE, ensureLocalCertificates, initCa, issueCertificate, LOOPBACK_HOSTS } from './cluster-ca';

export const CERTS_USAGE = `usage: triad certs <init|issue> [options]
  init  [--ca-dir DIR] [--days N] [--force]
        make a development cluster CA: DIR/${GRPC_TLS_FILES.ca} and DIR/${CA_KEY_FILE} (default DIR ./certs/ca)
  issue --name NAME [--host H ...] [--ca-dir DIR] [--out DIR] [--days N]
        issue a certificate for one process (or an operator) signed by the CA: OUT/${GRPC_TLS_FILES.ca},
        OUT/${GRPC_TLS_FILES.cert}, OUT/${GRPC_TLS_FILES.key} (default OUT ./certs/NAME); it answers to
        ${LOOPBACK_HOSTS.join(', ')} and every --host. Start a process with --grpc-tls-dir OUT,
        and the router's HTTPS API with --tls-cert OUT/${GRPC_TLS_FILES.cert} --tls-key OUT/${GRPC_TLS_FILES.key}.
  ensure --dir DIR --name NAME [--name NAME ...]
        what npm start and the compose lab do at start: a CA in DIR/ca if there is none, and a
        certificate in DIR/NAME for every name that has none (or one about to expire).`;

/** `triad certs …`: returns the exit code. */
export function certsCommand(argv: string[], nowMs: number, print: (line: string) => void): number {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      'ca-dir': { type: 'string', default: './certs/ca' },
      out: { type: 'string' },
      name: { type: 'string', multiple: true },
      dir: { type: 'string' },
      host: { type: 'string', multiple: true },
      days: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  });
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && !(Number.isInteger(days) && days > 0)) throw new Error('--days must be a positive whole number');
  const caDir = path.resolve(values['ca-dir']!);
  switch (sub) {
    case 'init': {
      const files = initCa(caDir, { nowMs, days, force: values.force });
      print(`CA certificate ${files.certPath}`);
      print(`CA key         ${files.keyPath} (keep it private: whoever holds it can join the cluster)`);
      return 0;
    }
    case 'issue': {
      const name = values.name?.[0];
      if (!name || values.name!.length > 1) {
        print(CERTS_USAGE);
        return 2;
      }
      const out = path.resolve(values.out ?? path.join(path.dirname(caDir), name));
      issueCertificate(caDir, out, { nowMs, name, hosts: values.host, days });
      print(`issued ${name} in ${out} (${Object.values(GRPC_TLS_FILES).join(', ')})`);
      return 0;
    }
    case 'ensure': {
      if (!values.dir || !values.name) {
        print(CERTS_USAGE);
        return 2;
      }
      const dirs = ensureLocalCertificates(path.resolve(values.dir), values.name, nowMs);
      print(`certificates in ${path.resolve(values.dir)}: CA ca/${GRPC_TLS_FILES.ca}; ${[...dirs.keys()].join(', ')}`);
      return 0;
    }
    default:
      print(CERTS_USAGE);
      return sub === 'help' || sub === '--help' ? 0 : 2;
  }
}

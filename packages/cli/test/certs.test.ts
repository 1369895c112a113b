import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GRPC_TLS_FILES } from '@triad/rpc';
import { ensureLocalCertificates, initCa, issueCertificate } from '../src/certs/cluster-ca';
import { certsCommand } from '../src/certs/certs-command';
import { oid, time, tlv, unsignedInteger } from '../src/certs/der';

/** The development CA: certificates that Node's own X.509 parser reads, with the fields TLS checks. */

const NOW_MS = Date.parse('2026-12-07T10:00:00Z');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-certs-'));
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('DER encodings', () => {
  test('lengths take the long form above 127 bytes', () => {
    expect(tlv(0x04, Buffer.alloc(5)).subarray(0, 2)).toEqual(Buffer.from([0x04, 5]));
    expect(tlv(0x04, Buffer.alloc(200)).subarray(0, 3)).toEqual(Buffer.from([0x04, 0x81, 200]));
    expect(tlv(0x04, Buffer.alloc(300)).subarray(0, 4)).toEqual(Buffer.from([0x04, 0x82, 0x01, 0x2c]));
  });

  test('integers are positive and minimal; OIDs and times as X.509 writes them', () => {
    expect(unsignedInteger(Buffer.from([0x00, 0x00, 0x7f]))).toEqual(Buffer.from([0x02, 1, 0x7f]));
    expect(unsignedInteger(Buffer.from([0x80]))).toEqual(Buffer.from([0x02, 2, 0x00, 0x80]));
    // ecdsa-with-SHA256, as every certificate carries it.
    expect(oid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(time(new Date('2026-12-07T10:00:00Z')).toString('latin1')).toBe('\x17\x0d261207100000Z');
    expect(time(new Date('2051-01-02T03:04:05Z')).toString('latin1')).toBe('\x18\x0f20510102030405Z');
  });
});

describe('triad certs', () => {
  test('init makes a self-signed CA with a private key; issue signs a node certificate for serving and connecting', () => {
    const ca = initCa(path.join(dir, 'ca'), { nowMs: NOW_MS });
    expect(fs.statSync(ca.keyPath).mode & 0o777).toBe(0o600);
    const caCert = new crypto.X509Certificate(fs.readFileSync(ca.certPath));
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.subject).toContain('CN=Triad cluster CA');

    const out = issueCertificate(path.join(dir, 'ca'), path.join(dir, 'storage-a-1'), { nowMs: NOW_MS, name: 'storage-a-1', hosts: ['storage-a-1.triad.svc', '10.0.0.7', 'fd00::7'] });
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(out, GRPC_TLS_FILES.cert)));
    expect(cert.ca).toBe(false);
    expect(cert.subject).toContain('CN=storage-a-1');
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:storage-a-1.triad.svc, IP Address:10.0.0.7, IP Address:FD00:0:0:0:0:0:0:7');
    expect(cert.checkHost('storage-a-1.triad.svc')).toBe('storage-a-1.triad.svc');
    expect(cert.checkIP('10.0.0.7')).toBe('10.0.0.7');
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(NOW_MS);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(NOW_MS + 364 * 24 * 3600 * 1000);
    // The key is the certificate's.
    const key = crypto.createPrivateKey(fs.readFileSync(path.join(out, GRPC_TLS_FILES.key)));
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(fs.readFileSync(path.join(out, GRPC_TLS_FILES.ca))).toEqual(fs.readFileSync(ca.certPath));
  });

  test('init refuses to replace a CA unless forced', () => {
    initCa(path.join(dir, 'ca'), { nowMs: NOW_MS });
    expect(() => initCa(path.join(dir, 'ca'), { nowMs: NOW_MS })).toThrow(/already holds a CA/);
    expect(() => initCa(path.join(dir, 'ca'), { nowMs: NOW_MS, force: true })).not.toThrow();
  });

  test('issue without a CA says how to make one', () => {
    expect(() => issueCertificate(path.join(dir, 'none'), path.join(dir, 'x'), { nowMs: NOW_MS, name: 'x' })).toThrow(/triad certs init/);
  });

  test('the command: init then issue, with the files named as cert-manager names a Secret\'s keys', () => {
    const lines: string[] = [];
    expect(certsCommand(['init', '--ca-dir', path.join(dir, 'ca')], NOW_MS, (l) => lines.push(l))).toBe(0);
    expect(certsCommand(['issue', '--ca-dir', path.join(dir, 'ca'), '--name', 'router-1', '--host', 'router.example'], NOW_MS, (l) => lines.push(l))).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'router-1')).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(certsCommand(['issue', '--ca-dir', path.join(dir, 'ca')], NOW_MS, (l) => lines.push(l))).toBe(2);
    expect(certsCommand(['rotate'], NOW_MS, (l) => lines.push(l))).toBe(2);
    expect(certsCommand(['ensure', '--dir', path.join(dir, 'lab'), '--name', 'a', '--name', 'b'], NOW_MS, (l) => lines.push(l))).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'lab')).sort()).toEqual(['a', 'b', 'ca']);
  });

  test('the local cluster makes its CA once and reissues only what is missing, expiring or from another CA', () => {
    const first = ensureLocalCertificates(dir, ['a', 'b'], NOW_MS);
    const certA = fs.readFileSync(path.join(first.get('a')!, GRPC_TLS_FILES.cert));
    ensureLocalCertificates(dir, ['a', 'b', 'c'], NOW_MS + 1000);
    expect(fs.readFileSync(path.join(first.get('a')!, GRPC_TLS_FILES.cert))).toEqual(certA);
    expect(fs.existsSync(path.join(dir, 'c', GRPC_TLS_FILES.cert))).toBe(true);
    // A year on, the certificate is about to expire: reissued under the same CA.
    ensureLocalCertificates(dir, ['a'], NOW_MS + 365 * 24 * 3600 * 1000);
    expect(fs.readFileSync(path.join(first.get('a')!, GRPC_TLS_FILES.cert))).not.toEqual(certA);
  });
});

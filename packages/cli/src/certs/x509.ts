import crypto from 'node:crypto';
import net from 'node:net';
import { bitString, boolean, explicit, namedBits, octetString, oid, sequence, set, smallInteger, time, tlv, unsignedInteger, utf8String } from './der';

/**
 * Writes X.509 v3 certificates (RFC 5280) signed with ECDSA P-256 and SHA-256: what `triad certs`
 * needs for a cluster CA and its node certificates, with node:crypto alone.
 */

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** keyUsage bits (RFC 5280 4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

export interface CertificateSubject {
  commonName: string;
  organization?: string;
}

export interface CertificateRequest {
  subject: CertificateSubject;
  /** The key the certificate is for. */
  publicKey: crypto.KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** A CA certificate (signs others) or an end entity (a node: serverAuth and clientAuth). */
  isCa: boolean;
  /** DNS names and IP addresses (subjectAltName) of an end entity. */
  hosts?: string[];
}

export interface Issuer {
  subject: CertificateSubject;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
}

function name(subject: CertificateSubject): Buffer {
  const attributes = [];
  if (subject.organization) attributes.push(set(sequence(oid(OID.organization), utf8String(subject.organization))));
  attributes.push(set(sequence(oid(OID.commonName), utf8String(subject.commonName))));
  return sequence(...attributes);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** RFC 5280's method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(publicKey: crypto.KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // The BIT STRING is the SPKI's last element; for an EC key its contents follow a 0 unused-bits byte.
  const point = publicKey.export({ format: 'jwk' });
  const bits = point.x && point.y
    ? Buffer.concat([Buffer.from([4]), Buffer.from(point.x, 'base64url'), Buffer.from(point.y, 'base64url')])
    : spki;
  return crypto.createHash('sha1').update(bits).digest();
}

function generalName(host: string): Buffer {
  if (net.isIPv4(host)) return tlv(0x87, Buffer.from(host.split('.').map(Number)));
  if (net.isIPv6(host)) return tlv(0x87, ipv6Bytes(host));
  return tlv(0x82, Buffer.from(host, 'ascii')); // dNSName, IA5String
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = address.includes('::') ? groups(tail) : [];
  const middle = Array(8 - left.length - right.length).fill('0');
  const all = address.includes('::') ? [...left, ...middle, ...right] : left;
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

/**
 * A serial number unique per certificate without a random source: the hash of the key and the
 * validity start (a key is fresh for each certificate `triad certs` makes). Positive, 16 bytes.
 */
function serialNumber(request: CertificateRequest): Buffer {
  const spki = request.publicKey.export({ type: 'spki', format: 'der' });
  const digest = crypto.createHash('sha256').update(spki).update(request.notBefore.toISOString()).digest().subarray(0, 16);
  digest[0] &= 0x7f;
  if (digest[0] === 0) digest[0] = 1;
  return digest;
}

/** The DER bytes of a certificate for `request`, signed by `issuer` (itself, for a self-signed CA). */
export function makeCertificate(request: CertificateRequest, issuer: Issuer): Buffer {
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  const extensions = [
    extension(OID.basicConstraints, true, request.isCa ? sequence(boolean(true)) : sequence()),
    extension(
      OID.keyUsage,
      true,
      namedBits(request.isCa ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign] : [KEY_USAGE.digitalSignature]),
    ),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(request.publicKey))),
    extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(issuer.publicKey)))),
  ];
  if (!request.isCa) {
    extensions.push(extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth), oid(OID.clientAuth))));
    if (request.hosts && request.hosts.length > 0) extensions.push(extension(OID.subjectAltName, false, sequence(...request.hosts.map(generalName))));
  }
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serialNumber(request)),
    algorithm,
    name(issuer.subject),
    sequence(time(request.notBefore), time(request.notAfter)),
    name(request.subject),
    request.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const signature = crypto.sign('sha256', tbs, { key: issuer.privateKey, dsaEncoding: 'der' });
  return sequence(tbs, algorithm, bitString(signature));
}

export function toPem(der: Buffer, label = 'CERTIFICATE'): string {
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

/** A fresh ECDSA P-256 key pair: small keys, fast handshakes, supported by every TLS stack Triad meets. */
export function newKeyPair(): { privateKey: crypto.KeyObject; publicKey: crypto.KeyObject } {
  return crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

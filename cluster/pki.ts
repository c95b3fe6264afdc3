// The cluster's certificates: a CA of its own, a serving certificate for the API server
// (and for each kubelet's HTTPS server), and apart from them etcd's own CA with its server,
// peer and client certificates (etcd-credentials.ts), all ECDSA P-256 through @peculiar/x509 on Node's
// WebCrypto. Keys are written PKCS#8 PEM with mode 0600.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends KeyPairPem {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): ArrayBuffer {
  const b64 = pem.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, '');
  const buf = Buffer.from(b64, 'base64');
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

async function keyPem(key: CryptoKey): Promise<string> {
  return toPem(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function serial(): string {
  // Positive 16-byte serial (high bit clear), as RFC 5280 asks.
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] &= 0x7f;
  return Buffer.from(b).toString('hex');
}

function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

export async function createCA(commonName = 'skiff-ca', validDays = 3650): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + validDays * DAY),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey, certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

export async function loadCA(certPem: string, keyPemText: string): Promise<CertificateAuthority> {
  const cert = new x509.X509Certificate(certPem);
  const key = await webcrypto.subtle.importKey('pkcs8', fromPem(keyPemText), ALG, true, ['sign']);
  return { cert, key, certPem, keyPem: keyPemText };
}

export interface IssueOptions {
  commonName: string;
  /** DNS names and IP addresses for the subjectAltName. */
  hosts?: string[];
  organizations?: string[];
  usage: 'server' | 'client' | 'both';
  validDays?: number;
}

export async function issueCertificate(ca: CertificateAuthority, opts: IssueOptions): Promise<KeyPairPem> {
  const keys = await generateKeys();
  const names: x509.JsonGeneralName[] = (opts.hosts ?? []).map((h) => ({ type: isIP(h) ? 'ip' : 'dns', value: h }));
  const eku: string[] = [];
  if (opts.usage !== 'client') eku.push(x509.ExtendedKeyUsage.serverAuth);
  if (opts.usage !== 'server') eku.push(x509.ExtendedKeyUsage.clientAuth);
  const subject = [`CN=${opts.commonName}`, ...(opts.organizations ?? []).map((o) => `O=${o}`)].join(', ');
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + (opts.validDays ?? 365) * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(eku),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

/** Writes NAME.crt and NAME.key (0600) into dir. */
export async function writeKeyPair(dir: string, name: string, pair: KeyPairPem): Promise<{ certFile: string; keyFile: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  await writeFile(certFile, pair.certPem, { mode: 0o644 });
  await writeFile(keyFile, pair.keyPem, { mode: 0o600 });
  return { certFile, keyFile };
}

/** Loads dir/ca.{crt,key}, creating them (named `commonName`) on first use. */
export async function ensureCA(dir: string, commonName?: string): Promise<CertificateAuthority> {
  try {
    return await loadCA(await readFile(path.join(dir, 'ca.crt'), 'utf8'), await readFile(path.join(dir, 'ca.key'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const ca = await createCA(commonName);
    await writeKeyPair(dir, 'ca', ca);
    return ca;
  }
}

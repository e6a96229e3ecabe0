/**
 * Certificates for local runs and tests: a throw-away certificate authority and server
 * certificates it signs, so STARTTLS can be exercised with full verification switched on
 * (the client trusts the CA instead of turning certificate checks off).
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

export interface ServerCertificate {
  certPem: string;
  keyPem: string;
  caPem: string;
}

const KEY_BITS = 2048;
const VALIDITY_YEARS = 2;
const DEFAULT_CA_NAME = 'Mailroom Local CA';

export function createCertificateAuthority(
  commonName: string = DEFAULT_CA_NAME,
): CertificateAuthority {
  const keys = forge.pki.rsa.generateKeyPair({ bits: KEY_BITS, e: 0x10001 });
  const cert = newCertificate(keys.publicKey);
  const name = [{ name: 'commonName', value: commonName }];

  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());

  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
  };
}

export function issueServerCertificate(
  ca: CertificateAuthority,
  hostnames: string[],
): ServerCertificate {
  if (hostnames.length === 0) throw new Error('at least one hostname is required');

  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = forge.pki.rsa.generateKeyPair({ bits: KEY_BITS, e: 0x10001 });
  const cert = newCertificate(keys.publicKey);

  cert.setSubject([{ name: 'commonName', value: hostnames[0] }]);
  const caKeyId = caCert.generateSubjectKeyIdentifier().getBytes();

  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hostnames.map(altName) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caKeyId },
  ]);
  cert.sign(caKey, forge.md.sha256.create());

  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
    caPem: ca.certPem,
  };
}

function newCertificate(publicKey: forge.pki.rsa.PublicKey): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  const notBefore = new Date();
  const notAfter = new Date();

  // Starting yesterday keeps the certificate valid on machines whose clock runs behind.
  notBefore.setDate(notBefore.getDate() - 1);
  notAfter.setFullYear(notBefore.getFullYear() + VALIDITY_YEARS);

  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  return cert;
}

/** A random positive serial: the high bit is cleared so DER does not read it as negative. */
function serialNumber(): string {
  const bytes = randomBytes(16);

  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function altName(hostname: string): { type: number; value?: string; ip?: string } {
  // GeneralName tags from RFC 5280 section 4.2.1.6: 2 = dNSName, 7 = iPAddress.
  if (isIP(hostname) !== 0) return { type: 7, ip: hostname };
  return { type: 2, value: hostname };
}

/**
 * TLS material of the development relay, kept in its folder so that a CA file a developer
 * pointed a mail client at stays valid across restarts. A missing or nearly expired file
 * is replaced; the private keys are readable by the owner only.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createCertificateAuthority, issueServerCertificate } from './certificates.js';

export interface RelayCertificate {
  certPem: string;
  keyPem: string;
  /** The CA that signed `certPem`; clients trust this file. */
  caFile: string;
}

/** Names clients use to reach the relay; each must be in the certificate. */
export const RELAY_HOSTNAMES = ['127.0.0.1', 'localhost'];

/** Replace a certificate this close to its end, so a running stack never crosses it. */
const RENEW_BEFORE_MS = 7 * 24 * 60 * 60 * 1000;

const FILES = {
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  cert: 'server.pem',
  key: 'server-key.pem',
} as const;

export async function loadRelayCertificate(dir: string): Promise<RelayCertificate> {
  await mkdir(dir, { recursive: true });
  const read = (name: string) => readFile(join(dir, name), 'utf8').catch(() => undefined);
  const [caCert, caKey, cert, key] = await Promise.all(
    [FILES.caCert, FILES.caKey, FILES.cert, FILES.key].map(read),
  );
  const caFile = join(dir, FILES.caCert);

  let ca = caCert && caKey && isCurrent(caCert) ? { certPem: caCert, keyPem: caKey } : undefined;
  if (ca && cert && key && isCurrent(cert) && isIssuedBy(cert, ca.certPem)) {
    return { certPem: cert, keyPem: key, caFile };
  }

  if (!ca) {
    ca = createCertificateAuthority('Mailroom Development Relay CA');
    await save(dir, FILES.caKey, ca.keyPem, 0o600);
    await save(dir, FILES.caCert, ca.certPem, 0o644);
  }
  const issued = issueServerCertificate(ca, RELAY_HOSTNAMES);
  await save(dir, FILES.key, issued.keyPem, 0o600);
  await save(dir, FILES.cert, issued.certPem, 0o644);
  return { certPem: issued.certPem, keyPem: issued.keyPem, caFile };
}

function isCurrent(pem: string): boolean {
  try {
    return Date.parse(new X509Certificate(pem).validTo) - Date.now() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

function isIssuedBy(pem: string, caPem: string): boolean {
  try {
    return new X509Certificate(pem).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}

/** Write-then-rename: a crash mid-write leaves the old file, never half a key. */
async function save(dir: string, name: string, content: string, mode: number): Promise<void> {
  const temporary = join(dir, `.${name}.${process.pid}.tmp`);
  await writeFile(temporary, content, { mode });
  await rename(temporary, join(dir, name));
}

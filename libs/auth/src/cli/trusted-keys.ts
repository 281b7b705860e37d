import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { type BootstrapTrustedKey } from '@ztp/persistence';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * The keys of a PEM file of public keys and certificates, each named as the rendezvous policy names
 * keys (SHA-256 of the SubjectPublicKeyInfo) and labelled with the certificate subject or its place.
 */
export function trustedKeysFromPem(pem: string): BootstrapTrustedKey[] {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) throw new Error('holds no PEM public key or certificate');
  return blocks.map((block, index) => {
    const [text, type] = block;
    let key;
    let label = `bootstrap key ${index + 1}`;
    if (type === 'CERTIFICATE') {
      const certificate = new X509Certificate(text);
      key = certificate.publicKey;
      label = certificate.subject.replace(/\n/g, ', ');
    } else if (type === 'PUBLIC KEY') {
      key = createPublicKey(text);
    } else {
      throw new Error(`PEM block ${index + 1} is a ${type}, not a PUBLIC KEY or CERTIFICATE`);
    }
    const sha256 = createHash('sha256')
      .update(key.export({ type: 'spki', format: 'der' }))
      .digest('hex');
    return { sha256, label: label.slice(0, 200) };
  });
}

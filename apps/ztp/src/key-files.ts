import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { parsePemBlocks, toPublicKey, type PemBlock } from '@ztp/protocol';
import { CliFailure, type CliIo } from './io';

/** PEM labels of unencrypted private keys and the DER layout node:crypto reads them with. */
const PRIVATE_KEY_TYPES: Record<string, 'pkcs8' | 'sec1' | 'pkcs1'> = {
  'PRIVATE KEY': 'pkcs8',
  'EC PRIVATE KEY': 'sec1',
  'RSA PRIVATE KEY': 'pkcs1',
};

function pemBlocks(io: CliIo, path: string): PemBlock[] {
  const blocks = parsePemBlocks(Buffer.from(io.readFile(path)).toString('utf8'));
  if (blocks.length === 0) throw new CliFailure(`${path} holds no PEM block`);
  return blocks;
}

function keyFromBlock(block: PemBlock, path: string): KeyObject {
  const key = Buffer.from(block.bytes);
  try {
    if (block.label === 'PUBLIC KEY') return createPublicKey({ key, format: 'der', type: 'spki' });
    return createPrivateKey({ key, format: 'der', type: PRIVATE_KEY_TYPES[block.label]! });
  } catch (err) {
    throw new CliFailure(`${path}: cannot read the ${block.label}: ${(err as Error).message}`);
  }
}

/**
 * The first unencrypted private key in a PEM file (PKCS#8, SEC1 or PKCS#1). Other blocks are
 * skipped, so a FIDO interop file (voucher followed by the owner key) works as is.
 */
export function readPrivateKey(io: CliIo, path: string): KeyObject {
  const block = pemBlocks(io, path).find((b) => b.label in PRIVATE_KEY_TYPES);
  if (!block) throw new CliFailure(`${path} holds no unencrypted private key PEM block`);
  return keyFromBlock(block, path);
}

/** Every CERTIFICATE in a PEM file, in file order. */
export function readCertificates(io: CliIo, path: string): X509Certificate[] {
  return pemBlocks(io, path)
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block, i) => {
      try {
        return new X509Certificate(block.bytes);
      } catch (err) {
        throw new CliFailure(`${path}: certificate ${i} does not parse: ${(err as Error).message}`);
      }
    });
}

/**
 * The next owner from a PEM file: its certificate chain (leaf first) when it holds certificates,
 * else its PUBLIC KEY, else the public half of its private key.
 */
export function readPublicKeyOrChain(io: CliIo, path: string): KeyObject | X509Certificate[] {
  const certificates = readCertificates(io, path);
  if (certificates.length > 0) return certificates;
  const blocks = pemBlocks(io, path);
  const block =
    blocks.find((b) => b.label === 'PUBLIC KEY') ?? blocks.find((b) => b.label in PRIVATE_KEY_TYPES);
  if (!block) throw new CliFailure(`${path} holds no CERTIFICATE, PUBLIC KEY or private key PEM block`);
  return toPublicKey(keyFromBlock(block, path));
}

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asBytes, decode, splitArray } from '../../cbor';

/**
 * Test-only access to the interop fixtures (real artifacts from go-fdo and fido-device-onboard-rs):
 * vendored unchanged in the repository under test/fixtures (copied from the shared fixtures).
 */
const CANDIDATES = [new URL('../../../../../test/fixtures/', import.meta.url)];

function fixturesRoot(): URL {
  const found = CANDIDATES.find((dir) => existsSync(fileURLToPath(new URL('fdo/', dir))));
  if (!found)
    throw new Error(`interop fixtures not found in ${CANDIDATES.map((c) => fileURLToPath(c)).join(' or ')}`);
  return found;
}

export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(relative, fixturesRoot()));
}

export function fixtureBytes(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(relative)));
}

export function fixtureText(relative: string): string {
  return readFileSync(fixturePath(relative), 'utf8');
}

/** A go-fdo capture body (hex file) as bytes. */
export function captureBytes(relative: string): Uint8Array {
  return new Uint8Array(Buffer.from(fixtureText(`fdo/go-fdo-captures/${relative}`).trim(), 'hex'));
}

/** The FDO 1.1 voucher fixtures: path and whether the file is PEM. */
export const VOUCHER_FIXTURES = [
  'fdo/go-fdo/ov.pem',
  'fdo/fdo-rs/v101-voucher1.pem',
  'fdo/fdo-rs/v101-voucher2.pem',
  'fdo/fdo-rs/testdevice1.ov',
] as const;

/** The voucher go-fdo's owner registered in TO0 (to0/005-msg22-req: TO0.OwnerSign `[to0d, to1d]`). */
export function captureVoucherBytes(): Uint8Array {
  const [to0d] = splitArray(captureBytes('to0/005-msg22-req.hex'));
  const [voucher] = splitArray(asBytes(decode(to0d!), 'to0d'));
  return voucher!;
}

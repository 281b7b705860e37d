import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseVoucher,
  readVoucher,
  toPem,
  voucherDeviceCertificates,
  voucherToPem,
  PkEnc,
  samePublicKey,
  voucherOwnerKey,
  type VoucherSummary,
} from '@ztp/protocol';
import { captureVoucherBytes, fixturePath, fixtureText } from '@ztp/protocol/fdo/voucher/fixtures.testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processIo, type CliIo } from '../io';
import { runCli } from '../program';

interface Run {
  code: number;
  stdout: string;
  stdoutBytes: Uint8Array;
  stderr: string;
}

/** Runs the CLI in-process with captured stdout/stderr and the real filesystem. */
async function ztp(...args: string[]): Promise<Run> {
  const out: Uint8Array[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (data) => out.push(typeof data === 'string' ? new TextEncoder().encode(data) : data),
    stderr: (text) => err.push(text),
    readFile: processIo.readFile,
    writeFile: processIo.writeFile,
  };
  const code = await runCli(args, io);
  const stdoutBytes = new Uint8Array(Buffer.concat(out));
  return { code, stdout: Buffer.from(stdoutBytes).toString('utf8'), stdoutBytes, stderr: err.join('') };
}

let dir: string;
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const p384Pem = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ztp-cli-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ovPem = () => fixturePath('fdo/go-fdo/ov.pem');
const mfgKey = () => fixturePath('fdo/go-fdo/mfg_key.pem');

describe('ztp voucher inspect', () => {
  it('prints the voucher as JSON', async () => {
    const run = await ztp('voucher', 'inspect', ovPem());
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as VoucherSummary;
    expect(summary.guid).toBe('66b2146ffec53ca6ad017625990572ce');
    expect(summary.deviceInfo).toBe('go.fdo.example');
    expect(summary.deviceCertChain!.map((c) => c.subject)).toEqual(['CN=go.fdo.example', 'CN=dev.ca.fdo']);
    expect(summary.entries).toEqual([]);
  });

  it('reads raw CBOR too, and explains an FDO 1.0 voucher on stderr', async () => {
    const raw = await ztp('voucher', 'inspect', fixturePath('fdo/fdo-rs/testdevice1.ov'));
    expect(JSON.parse(raw.stdout).entries).toHaveLength(1);
    const old = await ztp('voucher', 'inspect', fixturePath('fdo/fdo-rs/v100-voucher1.pem'));
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/fdo-1\.0.*FDO 1\.0/);
  });

  it('reports a missing file', async () => {
    const run = await ztp('voucher', 'inspect', join(dir, 'missing.pem'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot read .*missing\.pem/);
  });
});

describe('ztp voucher verify', () => {
  it('exits 0 for a valid voucher', async () => {
    const run = await ztp('voucher', 'verify', fixturePath('fdo/fdo-rs/v101-voucher2.pem'));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^valid: GUID ac00da6107e8405eacc494aef3f68966, 2 entries, owner SECP256R1/);
  });

  it('exits 1 with the reason on stderr for a tampered voucher', async () => {
    const bytes = Uint8Array.from(readVoucher(fixtureText('fdo/go-fdo/ov.pem')).bytes);
    bytes[bytes.length - 10]! ^= 0x01;
    const run = await ztp('voucher', 'verify', file('tampered.ov', bytes));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/bad-cert-chain-hash/);
  });

  it('validates the device chain against --trusted-ca', async () => {
    const [, ca] = voucherDeviceCertificates(readVoucher(fixtureText('fdo/go-fdo/ov.pem')))!;
    const trusted = file('ca.pem', toPem('CERTIFICATE', ca!.raw));
    expect((await ztp('voucher', 'verify', ovPem(), '--trusted-ca', trusted)).code).toBe(0);
    const [, otherCa] = voucherDeviceCertificates(readVoucher(fixtureText('fdo/fdo-rs/v101-voucher2.pem')))!;
    const other = file('other-ca.pem', toPem('CERTIFICATE', otherCa!.raw));
    const refused = await ztp('voucher', 'verify', ovPem(), '--trusted-ca', other);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/untrusted-device-chain/);
    const empty = await ztp('voucher', 'verify', ovPem(), '--trusted-ca', mfgKey());
    expect(empty.stderr).toMatch(/holds no CERTIFICATE/);
  });
});

describe('ztp voucher extend', () => {
  it('extends ov.pem with its manufacturer key, then again from the new owner to a certificate chain', async () => {
    const owner = p384Pem();
    const extra = file('extra.bin', Uint8Array.of(1, 2, 3));
    const out = join(dir, 'extended.ov');
    const first = await ztp(
      'voucher',
      'extend',
      ovPem(),
      '--owner-key',
      mfgKey(),
      '--next-owner',
      file('owner.pub.pem', owner.publicPem),
      '--extra',
      '1=cafe',
      '--extra',
      `-2=@${extra}`,
      '--format',
      'cbor',
      '--out',
      out,
    );
    expect(first).toMatchObject({ code: 0, stderr: '', stdout: '' });
    const extended = readVoucher(processIo.readFile(out));
    expect(extended.entries).toHaveLength(1);
    expect(extended.entries[0]!.extra).toEqual(
      new Map([
        [1, Uint8Array.of(0xca, 0xfe)],
        [-2, Uint8Array.of(1, 2, 3)],
      ]),
    );
    expect((await ztp('voucher', 'verify', out)).code).toBe(0);

    const chain = voucherDeviceCertificates(parseVoucher(captureVoucherBytes()))!;
    const chainPem = file('chain.pem', chain.map((c) => toPem('CERTIFICATE', c.raw)).join(''));
    const second = await ztp(
      'voucher',
      'extend',
      out,
      '--owner-key',
      file('owner.key.pem', owner.privatePem),
      '--next-owner',
      chainPem,
    );
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^-----BEGIN OWNERSHIP VOUCHER-----\n/);
    const twice = readVoucher(second.stdout);
    expect(twice.entries).toHaveLength(2);
    expect(twice.entries[1]!.publicKey.encoding).toBe(PkEnc.X5CHAIN);
    expect(twice.entries[0]!.bytes).toEqual(extended.entries[0]!.bytes);
  });

  it('takes the owner key from a FIDO interop file, and the next owner from a private key file', async () => {
    const interop = file(
      'interop.pem',
      fixtureText('fdo/go-fdo/ov.pem') + fixtureText('fdo/go-fdo/mfg_key.pem'),
    );
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const next = file('next.key.pem', privateKey.export({ format: 'pem', type: 'sec1' }));
    const run = await ztp('voucher', 'extend', interop, '--owner-key', interop, '--next-owner', next);
    expect(run.code).toBe(0);
    const extended = readVoucher(run.stdout);
    expect(extended.entries).toHaveLength(1);
    expect(samePublicKey(voucherOwnerKey(extended), privateKey)).toBe(true);
  });

  it('refuses a key that is not the owner and a next owner of another curve', async () => {
    const notOwner = await ztp(
      'voucher',
      'extend',
      ovPem(),
      '--owner-key',
      file('stranger.pem', p384Pem().privatePem),
      '--next-owner',
      file('n1.pem', p384Pem().publicPem),
    );
    expect(notOwner.code).toBe(1);
    expect(notOwner.stderr).toMatch(/not-owner/);
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'pem',
      type: 'spki',
    });
    const mismatch = await ztp(
      'voucher',
      'extend',
      ovPem(),
      '--owner-key',
      mfgKey(),
      '--next-owner',
      file('p256.pem', p256),
    );
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/key-type-mismatch/);
  });

  it('refuses bad usage', async () => {
    const missing = await ztp('voucher', 'extend', ovPem(), '--next-owner', mfgKey());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--owner-key/);
    const badExtra = await ztp(
      'voucher',
      'extend',
      ovPem(),
      '--owner-key',
      mfgKey(),
      '--next-owner',
      mfgKey(),
      '--extra',
      'x=1',
    );
    expect(badExtra.code).toBe(1);
    expect(badExtra.stderr).toMatch(/LABEL=HEX/);
    const badFormat = await ztp('voucher', 'convert', ovPem(), '--to', 'json');
    expect(badFormat.code).toBe(1);
    expect(badFormat.stderr).toMatch(/json/);
  });
});

describe('ztp voucher convert', () => {
  it('converts PEM to CBOR and back without touching the voucher bytes', async () => {
    const original = readVoucher(fixtureText('fdo/fdo-rs/v101-voucher1.pem'));
    const cbor = await ztp('voucher', 'convert', fixturePath('fdo/fdo-rs/v101-voucher1.pem'), '--to', 'cbor');
    expect(cbor.code).toBe(0);
    expect(cbor.stdoutBytes).toEqual(original.bytes);
    const out = join(dir, 'back.pem');
    const pem = await ztp('voucher', 'convert', file('v1.ov', cbor.stdoutBytes), '--to', 'pem', '--out', out);
    expect(pem.code).toBe(0);
    expect(Buffer.from(processIo.readFile(out)).toString('utf8')).toBe(voucherToPem(original));
  });
});

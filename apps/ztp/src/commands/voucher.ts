import {
  createSoftwareSigner,
  extendVoucher,
  PkType,
  readVoucher,
  summarizeVoucher,
  verifyVoucher,
  voucherToPem,
  type OwnershipVoucher,
} from '@ztp/protocol';
import { Option, type Command } from 'commander';
import { CliFailure, type CliIo } from '../io';
import { readCertificates, readPrivateKey, readPublicKeyOrChain } from '../key-files';

export type VoucherFormat = 'pem' | 'cbor';

export interface VerifyFileOptions {
  /** PEM files of trusted device CA certificates. */
  trustedCa?: string[];
}

export interface ExtendFileOptions {
  /** PEM file with the current owner's private key. */
  ownerKey: string;
  /** PEM file with the next owner's public key or certificate chain (leaf first). */
  nextOwner: string;
  /** OVEExtra entries, label -> bytes. */
  extra?: Map<number, Uint8Array>;
  out?: string;
  format?: VoucherFormat;
}

export interface ConvertFileOptions {
  to: VoucherFormat;
  out?: string;
}

function loadVoucher(io: CliIo, file: string): OwnershipVoucher {
  return readVoucher(io.readFile(file));
}

function emit(io: CliIo, voucher: OwnershipVoucher, format: VoucherFormat, out: string | undefined): void {
  const data = format === 'pem' ? voucherToPem(voucher) : voucher.bytes;
  if (out) io.writeFile(out, data);
  else io.stdout(data);
}

/** `ztp voucher inspect FILE`: the voucher as JSON on stdout (nothing is verified). */
export function inspectVoucherFile(io: CliIo, file: string): void {
  io.stdout(`${JSON.stringify(summarizeVoucher(loadVoucher(io, file)), null, 2)}\n`);
}

/** `ztp voucher verify FILE`: succeeds only when the voucher verifies; throws the reason otherwise. */
export function verifyVoucherFile(io: CliIo, file: string, options: VerifyFileOptions = {}): void {
  const voucher = loadVoucher(io, file);
  const trustedDeviceCas = options.trustedCa?.flatMap((path) => {
    const certificates = readCertificates(io, path);
    if (certificates.length === 0) throw new CliFailure(`${path} holds no CERTIFICATE`);
    return certificates;
  });
  verifyVoucher(voucher, { trustedDeviceCas });
  const summary = summarizeVoucher(voucher);
  io.stdout(
    `valid: GUID ${summary.guid}, ${voucher.entries.length} entries, owner ${summary.ownerKey.type} key ${summary.ownerKey.spkiSha256}\n`,
  );
}

/** `ztp voucher extend FILE`: signs the voucher over to the next owner. */
export async function extendVoucherFile(io: CliIo, file: string, options: ExtendFileOptions): Promise<void> {
  const voucher = loadVoucher(io, file);
  const ownerKey = readPrivateKey(io, options.ownerKey);
  const nextOwner = readPublicKeyOrChain(io, options.nextOwner);
  // An RSAPSS voucher needs PSS signatures all along; other types take the key's default algorithm.
  const signer = createSoftwareSigner(ownerKey, {
    pss: voucher.header.manufacturerKey.type === PkType.RSAPSS,
  });
  const extended = await extendVoucher(voucher, signer, nextOwner, { extra: options.extra });
  emit(io, extended, options.format ?? 'pem', options.out);
}

/** `ztp voucher convert FILE --to pem|cbor`: the same bytes in the other form. */
export function convertVoucherFile(io: CliIo, file: string, options: ConvertFileOptions): void {
  emit(io, loadVoucher(io, file), options.to, options.out);
}

/** Parses `--extra LABEL=HEX` or `--extra LABEL=@FILE` into an OVEExtra entry. */
export function parseExtra(
  io: CliIo,
  text: string,
  previous: Map<number, Uint8Array>,
): Map<number, Uint8Array> {
  const match = /^(-?\d+)=(.*)$/s.exec(text);
  const label = match ? Number(match[1]) : NaN;
  if (!match || !Number.isSafeInteger(label))
    throw new CliFailure(`--extra ${text}: expected LABEL=HEX or LABEL=@FILE with an integer label`);
  if (previous.has(label)) throw new CliFailure(`--extra: label ${label} given twice`);
  const value = match[2]!;
  let bytes: Uint8Array;
  if (value.startsWith('@')) bytes = io.readFile(value.slice(1));
  else if (/^([0-9a-f]{2})*$/i.test(value)) bytes = new Uint8Array(Buffer.from(value, 'hex'));
  else throw new CliFailure(`--extra ${text}: the value is neither hex nor @FILE`);
  return new Map([...previous, [label, bytes]]);
}

const formatOption = (flags: string, description: string) =>
  new Option(flags, description).choices(['pem', 'cbor'] satisfies VoucherFormat[]);

export function registerVoucherCommands(program: Command, io: CliIo): void {
  const voucher = program
    .command('voucher')
    .description('inspect, verify, extend and convert FDO ownership vouchers (PEM or raw CBOR)');

  voucher
    .command('inspect')
    .description('print the voucher as JSON: GUID, DeviceInfo, RendezvousInfo, keys, entries, device chain')
    .argument('<file>', 'voucher file')
    .action((file: string) => inspectVoucherFile(io, file));

  voucher
    .command('verify')
    .description('verify signatures, hashes and key types; exit 0 only when the voucher is valid')
    .argument('<file>', 'voucher file')
    .option(
      '--trusted-ca <pem...>',
      'also validate the device certificate chain against these CA certificates',
    )
    .action((file: string, options: VerifyFileOptions) => verifyVoucherFile(io, file, options));

  voucher
    .command('extend')
    .description('sign the voucher over to the next owner')
    .argument('<file>', 'voucher file')
    .requiredOption('--owner-key <pem>', "current owner's private key (PEM)")
    .requiredOption('--next-owner <pem>', "next owner's public key or certificate chain (PEM)")
    .option(
      '--extra <label=value>',
      'OVEExtra entry: LABEL=HEX or LABEL=@FILE (repeatable)',
      (text, previous) => parseExtra(io, text, previous),
      new Map<number, Uint8Array>(),
    )
    .option('--out <file>', 'write the extended voucher here instead of stdout')
    .addOption(formatOption('--format <format>', 'output form').default('pem'))
    .action((file: string, options: ExtendFileOptions) => extendVoucherFile(io, file, options));

  voucher
    .command('convert')
    .description('rewrite a voucher as PEM or raw CBOR (the voucher bytes are unchanged)')
    .argument('<file>', 'voucher file')
    .addOption(formatOption('--to <format>', 'output form').makeOptionMandatory())
    .option('--out <file>', 'write here instead of stdout')
    .action((file: string, options: ConvertFileOptions) => convertVoucherFile(io, file, options));
}

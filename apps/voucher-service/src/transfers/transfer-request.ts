import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { pemToDerAll } from '@ztp/pki';
import { type NextOwner, type OvExtra } from '@ztp/protocol';
import { z } from 'zod';
import { ledgerProblem } from '../vouchers/ledger-problems';

export const createTransferSchema = z.strictObject({
  to: z
    .union([
      z.strictObject({
        tenant: z.string().min(1).max(100).describe('Recipient tenant: id or slug'),
        ownerKeyId: z
          .uuid()
          .optional()
          .describe("One of the recipient's owner keys; default its oldest key of the voucher's key type"),
      }),
      z.strictObject({
        publicKeyPem: z
          .string()
          .min(1)
          .max(20_000)
          .describe('A key outside the service (SubjectPublicKeyInfo PEM)'),
      }),
      z.strictObject({
        certificateChainPem: z
          .string()
          .min(1)
          .max(200_000)
          .describe('A certificate chain outside the service, leaf first (X5CHAIN)'),
      }),
    ])
    .describe('The next owner'),
  extra: z
    .record(z.string().regex(/^\d{1,9}$/), z.string().regex(/^(?:[0-9a-fA-F]{2}){0,4096}$/))
    .optional()
    .describe(
      'OVEExtra of the new entry: integer keys to hex bytes (supply-chain data the device verifies implicitly)',
    ),
});

export type CreateTransferRequest = z.output<typeof createTransferSchema>;

export type Recipient =
  | { kind: 'tenant'; tenant: string; ownerKeyId?: string }
  | { kind: 'external'; nextOwner: NextOwner; description: string };

/** The recipient of a request; PEM input is parsed here (422 when it does not parse). */
export function recipientOf(request: CreateTransferRequest): Recipient {
  const to = request.to;
  if ('tenant' in to) return { kind: 'tenant', tenant: to.tenant, ownerKeyId: to.ownerKeyId };
  if ('publicKeyPem' in to) {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: to.publicKeyPem, format: 'pem' });
    } catch {
      throw ledgerProblem(
        422,
        'invalid-recipient',
        'Invalid public key',
        'publicKeyPem is not a PEM public key',
      );
    }
    return { kind: 'external', nextOwner: key, description: 'public key' };
  }
  let chain: X509Certificate[];
  try {
    chain = pemToDerAll(to.certificateChainPem).map((der) => new X509Certificate(der));
  } catch {
    throw ledgerProblem(
      422,
      'invalid-recipient',
      'Invalid certificate chain',
      'certificateChainPem does not parse',
    );
  }
  if (chain.length === 0)
    throw ledgerProblem(
      422,
      'invalid-recipient',
      'Invalid certificate chain',
      'certificateChainPem holds no CERTIFICATE block',
    );
  return { kind: 'external', nextOwner: chain, description: 'certificate chain' };
}

/** OVEExtra as the protocol wants it. */
export function extraOf(request: CreateTransferRequest): OvExtra | null {
  if (!request.extra || Object.keys(request.extra).length === 0) return null;
  return new Map(
    Object.entries(request.extra).map(([key, hex]) => [Number(key), new Uint8Array(Buffer.from(hex, 'hex'))]),
  );
}

import * as asn1js from 'asn1js';
import { type Signer } from '@ztp/protocol/cose/signer';
import { PkiError } from '../errors';
import { readCertificate } from '../x509/certificate-facts';
import { nodeWebCrypto, x509 } from '../x509/runtime';
import { signerCrypto } from '../x509/signer-crypto';
import { REVOCATION_REASONS, type RevocationReason } from './reasons';

/** One revoked certificate as the CRL lists it. */
export interface RevokedEntry {
  /** Certificate serial number, hex. */
  readonly serialNumber: string;
  readonly revokedAt: Date;
  readonly reason: RevocationReason;
}

export interface CrlParams {
  /** RFC 5280 5.2.3: monotonically increasing per issuer. */
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: readonly RevokedEntry[];
}

const CRL_NUMBER_OID = '2.5.29.20';

/**
 * A complete CRL (v2, DER) issued by the CA certificate `issuerCertificate` (DER) and signed by
 * `signer`, the CA's key (a custody Signer, so the key never leaves custody): CRL number and
 * authority key identifier extensions, a reasonCode on each entry ('unspecified' is left out, as
 * RFC 5280 5.3.1 asks).
 */
export async function createCrl(
  signer: Signer,
  issuerCertificate: Uint8Array,
  params: CrlParams,
): Promise<Uint8Array> {
  if (params.crlNumber < 0n) throw new PkiError('invalid-crl', 'CRL number must not be negative');
  if (params.nextUpdate.getTime() <= params.thisUpdate.getTime())
    throw new PkiError('invalid-crl', 'nextUpdate must be after thisUpdate');
  const facts = readCertificate(issuerCertificate);
  if (
    !Buffer.from(signer.publicKey.export({ type: 'spki', format: 'der' })).equals(
      facts.publicKey.export({ type: 'spki', format: 'der' }),
    )
  )
    throw new PkiError('issuer-key-mismatch', `the signer's key is not the key of ${facts.subject}`);
  const { crypto, keys } = signerCrypto(signer);
  const authorityKeyId = facts.subjectKeyIdentifier
    ? new x509.AuthorityKeyIdentifierExtension(facts.subjectKeyIdentifier)
    : await x509.AuthorityKeyIdentifierExtension.create(
        facts.publicKey.export({ type: 'spki', format: 'der' }),
        false,
        nodeWebCrypto,
      );
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: facts.parsed.subjectName,
      thisUpdate: params.thisUpdate,
      nextUpdate: params.nextUpdate,
      signingAlgorithm: keys.privateKey.algorithm,
      signingKey: keys.privateKey as unknown as x509.X509CrlCreateParams['signingKey'],
      extensions: [
        new x509.Extension(CRL_NUMBER_OID, false, encodeInteger(params.crlNumber)),
        authorityKeyId,
      ],
      entries: params.entries.map((entry) => ({
        serialNumber: entry.serialNumber,
        revocationDate: entry.revokedAt,
        reason: entry.reason === 'unspecified' ? undefined : REVOCATION_REASONS[entry.reason],
      })),
    },
    crypto,
  );
  return new Uint8Array(crl.rawData);
}

function encodeInteger(value: bigint): ArrayBuffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  return new asn1js.Integer({ valueHex: Buffer.from(hex, 'hex') }).toBER();
}

import { encodeBinary } from './binary';
import { encodeCertsOnly } from './cms/signed-data';
import { Modules } from './yang/modules';
import { type Encoding } from './yang/reader';
import { EMPTY, toJson, toXml, y } from './yang/tree';

/**
 * An `ietf-keystore` configuration (RFC 9642) delivering an LDevID, as RFC 9646's examples do
 * inside the onboarding `configuration`: asymmetric keys held by the device (`hidden-private-key`)
 * with their certificates. `cert-data` is an end-entity-cert-cms: a certs-only CMS holding the
 * certificate and optionally its chain (RFC 9640).
 */
const K = Modules.keystore;

export interface KeystoreCertificate {
  readonly name: string;
  /** DER certs-only CMS (see `keystoreCertificate`). */
  readonly certData: Uint8Array;
}

export interface KeystoreAsymmetricKey {
  readonly name: string;
  /** DER SubjectPublicKeyInfo. */
  readonly publicKey: Uint8Array;
  readonly certificates: readonly KeystoreCertificate[];
}

/** A keystore certificate entry from a DER certificate and its chain (issuer first). */
export function keystoreCertificate(
  name: string,
  certificate: Uint8Array,
  chain: readonly Uint8Array[] = [],
): KeystoreCertificate {
  return { name, certData: encodeCertsOnly([certificate, ...chain]) };
}

/** `{"ietf-keystore:keystore": {"asymmetric-keys": {"asymmetric-key": [...]}}}` or its XML. */
export function encodeKeystore(keys: readonly KeystoreAsymmetricKey[], encoding: Encoding): string {
  const member = y.container(K, 'keystore', [
    y.container(K, 'asymmetric-keys', [
      y.list(
        K,
        'asymmetric-key',
        keys.map((key) => [
          y.leaf(K, 'name', key.name),
          y.leaf(K, 'public-key-format', {
            module: Modules.cryptoTypes,
            identity: 'subject-public-key-info-format',
          }),
          y.leaf(K, 'public-key', encodeBinary(key.publicKey)),
          y.leaf(K, 'hidden-private-key', EMPTY),
          y.optionalContainer(K, 'certificates', [
            y.list(
              K,
              'certificate',
              key.certificates.map((certificate) => [
                y.leaf(K, 'name', certificate.name),
                y.leaf(K, 'cert-data', encodeBinary(certificate.certData)),
              ]),
            ),
          ]),
        ]),
      ),
    ]),
  ]);
  return encoding === 'json' ? toJson(member) : toXml(member);
}

import { createPublicKey, generateKeyPair, type KeyObject, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import {
  createCsr,
  EST_MEDIA_TYPES,
  estBase64Decode,
  type KeySpec,
  parseCertsOnly,
  PkiError,
} from '@ztp/pki';
import { createSoftwareSigner } from '@ztp/protocol';
import { nodeSztpTransport, type SztpTransport } from '../sztp/sztp-transport';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Why a renewal failed: the server refused (status and its problem detail) or sent something wrong. */
export class EstClientError extends Error {
  override readonly name = 'EstClientError';
  constructor(
    message: string,
    readonly status?: number,
    readonly problemType?: string,
  ) {
    super(message);
  }
}

export interface EstRenewalRequest {
  /** The EST base, e.g. https://host:8443/.well-known/est or .../.well-known/est/{label}. */
  readonly estUrl: string;
  /** The current operational certificate and key (PEM): the TLS client identity. */
  readonly certificatePem: string;
  readonly keyPem: string;
  /** The CA certificates (DER) the device trusts its operational certificate to chain to. */
  readonly caCertificates: readonly Uint8Array[];
  /** PEM anchors for the EST server's TLS certificate; absent: not checked (lab use). */
  readonly serverTrust?: string;
  /** Type of the new key. Default: the current key's type. */
  readonly keySpec?: KeySpec;
  /** Default: node:https with the current certificate as client certificate. */
  readonly transport?: SztpTransport;
}

export interface EstRenewal {
  readonly certificate: Uint8Array;
  readonly privateKey: KeyObject;
  /** What cacerts answered (DER). */
  readonly caCertificates: Uint8Array[];
}

const KEY_SPECS: Record<string, KeySpec> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
};

function specOf(key: KeyObject): KeySpec {
  if (key.asymmetricKeyType === 'ec') {
    const spec = KEY_SPECS[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (spec) return spec;
  }
  if (key.asymmetricKeyType === 'rsa')
    return key.asymmetricKeyDetails?.modulusLength === 3072 ? 'RSA-3072' : 'RSA-2048';
  throw new EstClientError('the current operational key is of a type this device cannot renew');
}

async function newKey(spec: KeySpec): Promise<KeyObject> {
  const { privateKey } =
    spec === 'P-256' || spec === 'P-384'
      ? await generateKeyPairAsync('ec', { namedCurve: spec })
      : await generateKeyPairAsync('rsa', { modulusLength: spec === 'RSA-3072' ? 3072 : 2048 });
  return privateKey;
}

/**
 * EST re-enrolment as a device does it (RFC 7030 4.2.2): asks cacerts, makes a new key, sends a
 * CSR for it with the current certificate as TLS client certificate, and accepts the answer only
 * if it is a certs-only message with a certificate for the new key, with the current subject and
 * SANs, valid now and issued by a CA the device trusts.
 */
export async function estReenroll(request: EstRenewalRequest): Promise<EstRenewal> {
  const base = request.estUrl.replace(/\/+$/, '');
  const transport =
    request.transport ??
    nodeSztpTransport({
      clientCertificate: { certificatePem: request.certificatePem, keyPem: request.keyPem },
    });
  const current = new X509Certificate(request.certificatePem);
  const trust = request.caCertificates.map((der) => new X509Certificate(der));
  const trustAnchors = request.serverTrust;

  const cacerts = await transport({
    url: `${base}/cacerts`,
    method: 'GET',
    headers: { Accept: EST_MEDIA_TYPES.certsOnly },
    ...(trustAnchors ? { trustAnchors } : {}),
  });
  const caCertificates = certsFrom(cacerts, 'cacerts');

  const spec = request.keySpec ?? specOf(current.publicKey);
  const privateKey = await newKey(spec);
  const csr = await createCsr({
    signer: createSoftwareSigner(privateKey),
    subject: { commonName: current.subject.match(/CN=([^\n]+)/)?.[1] ?? 'device' },
  });
  const answer = await transport({
    url: `${base}/simplereenroll`,
    method: 'POST',
    headers: { 'Content-Type': EST_MEDIA_TYPES.pkcs10, Accept: EST_MEDIA_TYPES.certsOnly },
    body: Buffer.from(csr).toString('base64'),
    ...(trustAnchors ? { trustAnchors } : {}),
  });
  const issued = certsFrom(answer, 'simplereenroll').map((der) => ({
    der,
    parsed: new X509Certificate(der),
  }));
  const newSpki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const leaf = issued.find((each) =>
    each.parsed.publicKey.export({ type: 'spki', format: 'der' }).equals(newSpki),
  );
  if (!leaf) throw new EstClientError('simplereenroll: no certificate in the answer is for the new key');
  const renewed = leaf.parsed;
  if (renewed.subject !== current.subject)
    throw new EstClientError(
      `simplereenroll: subject changed from "${current.subject}" to "${renewed.subject}"`,
    );
  if ((renewed.subjectAltName ?? '') !== (current.subjectAltName ?? ''))
    throw new EstClientError('simplereenroll: the subjectAltName changed');
  const now = Date.now();
  if (now < new Date(renewed.validFrom).getTime() || now > new Date(renewed.validTo).getTime())
    throw new EstClientError(
      `simplereenroll: the certificate is not valid now (${renewed.validFrom} - ${renewed.validTo})`,
    );
  if (!trust.some((ca) => renewed.checkIssued(ca) && renewed.verify(ca.publicKey)))
    throw new EstClientError('simplereenroll: the certificate is not issued by a CA this device trusts');
  return { certificate: new Uint8Array(leaf.der), privateKey, caCertificates };
}

function certsFrom(
  response: { status: number; headers: Readonly<Record<string, string>>; body: string },
  operation: string,
): Uint8Array[] {
  if (response.status !== 200) {
    let detail = response.body.slice(0, 500);
    let type: string | undefined;
    if ((response.headers['content-type'] ?? '').includes('json')) {
      try {
        const problem = JSON.parse(response.body) as { detail?: string; type?: string };
        detail = problem.detail ?? detail;
        type = problem.type;
      } catch {
        // not a problem document: keep the text
      }
    }
    throw new EstClientError(`${operation} refused (${response.status}): ${detail}`, response.status, type);
  }
  const type = (response.headers['content-type'] ?? '').toLowerCase().replace(/\s+/g, '');
  if (!type.startsWith('application/pkcs7-mime') || !type.includes('smime-type=certs-only'))
    throw new EstClientError(`${operation}: expected ${EST_MEDIA_TYPES.certsOnly}, got ${type || 'nothing'}`);
  try {
    return parseCertsOnly(estBase64Decode(response.body));
  } catch (err) {
    if (err instanceof PkiError) throw new EstClientError(`${operation}: ${err.message}`);
    throw err;
  }
}

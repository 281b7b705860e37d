import { createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { type CertificateRequestKind } from '@ztp/persistence';
import { type KeySpec, type ParsedCsr, parseCsr, PkiError } from '@ztp/pki';
import { asText, asUint, sztp } from '@ztp/protocol';
import { type OwnerStepHandler, type StepServices, WAITING } from './owner-module';

const generateKeyPairAsync = promisify(generateKeyPair);

/** fdo.csr cacerts formats: PKCS#7 certs-only (mandatory) and a single DER certificate. */
export const CsrFormat = { pkcs7CertsOnly: 281, pkixCert: 287 } as const;

/** fdo.csr:error values. */
export const CsrError = {
  badRequest: 1,
  unauthorized: 2,
  notSupported: 3,
  rateExceeded: 4,
  unsupportedFormat: 5,
} as const;

const MODULE = 'fdo.csr';
/** The boundary of a serverkeygen-res multipart/mixed body (fdo.csr specification). */
export const SERVER_KEYGEN_BOUNDARY = 'fdo';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function decodeCsrText(value: string): Uint8Array | string {
  // EST carries base64 DER; a PEM request is accepted too.
  return value.includes('-----BEGIN')
    ? value
    : new Uint8Array(Buffer.from(value.replace(/\s+/g, ''), 'base64'));
}

async function keyFor(spec: KeySpec): Promise<{ privateKey: KeyObject }> {
  switch (spec) {
    case 'P-256':
      return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    case 'P-384':
      return generateKeyPairAsync('ec', { namedCurve: 'P-384' });
    case 'RSA-2048':
      return generateKeyPairAsync('rsa', { modulusLength: 2048 });
    case 'RSA-3072':
      return generateKeyPairAsync('rsa', { modulusLength: 3072 });
  }
}

/** multipart/mixed: the PKCS#8 private key, then the certificate as PKCS#7 certs-only (RFC 7030 4.4.2). */
export function serverKeygenBody(privateKeyPkcs8: Uint8Array, certificate: Uint8Array): string {
  const part = (type: string, body: Uint8Array) =>
    `--${SERVER_KEYGEN_BOUNDARY}\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(body)}\r\n`;
  return (
    part('application/pkcs8', privateKeyPkcs8) +
    part('application/pkcs7-mime; smime-type=certs-only', sztp.encodeCertsOnly([certificate])) +
    `--${SERVER_KEYGEN_BOUNDARY}--\r\n`
  );
}

async function enroll(
  services: StepServices,
  kind: CertificateRequestKind,
  csr: ParsedCsr,
  validityDays: number,
): Promise<Uint8Array> {
  return services.ca.issue({ context: services.context, csr, kind, validityDays });
}

/**
 * fdo.csr: the owner activates the module; the device asks for the CA certificates and sends a
 * PKCS#10 request; the owner CA issues the operational certificate. The step is done once a
 * certificate has been issued. serverkeygen only where the owner CA allows it.
 */
export const csrHandler: OwnerStepHandler = {
  async onMessage(step, data, message, body, services) {
    if (step.await.kind !== 'csr') return WAITING;
    const validityDays = step.await.validityDays;
    switch (message) {
      case 'cacerts-req': {
        const format = asUint(body, 'fdo.csr:cacerts-req');
        const ca = await services.ca.caCertificate(services.context.ownerTenantId);
        if (format === CsrFormat.pkcs7CertsOnly)
          services.respond(MODULE, 'cacerts-res', b64(sztp.encodeCertsOnly([ca])));
        else if (format === CsrFormat.pkixCert) services.respond(MODULE, 'cacerts-res', b64(ca));
        else services.respond(MODULE, 'error', CsrError.unsupportedFormat);
        return WAITING;
      }
      case 'simpleenroll-req':
      case 'simplereenroll-req':
      case 'serverkeygen-req': {
        const kind = message.slice(0, -'-req'.length) as CertificateRequestKind;
        let csr: ParsedCsr;
        try {
          csr = await parseCsr(decodeCsrText(asText(body, `fdo.csr:${message}`)));
        } catch (err) {
          if (!(err instanceof PkiError)) throw err;
          services.respond(MODULE, 'error', CsrError.badRequest);
          return {
            kind: 'failed',
            detail: `${step.description}: the device's certificate request is unusable (${err.message})`,
          };
        }
        if (kind !== 'serverkeygen') {
          const certificate = await enroll(services, kind, csr, validityDays);
          services.respond(MODULE, `${kind}-res`, b64(certificate));
          data['issued'] = true;
          return { kind: 'done', detail: `certificate issued (${kind})` };
        }
        if (!(await services.ca.allowsServerKeygen(services.context.ownerTenantId))) {
          services.respond(MODULE, 'error', CsrError.notSupported);
          return WAITING;
        }
        const { privateKey } = await keyFor(csr.keySpec);
        const publicKey = createPublicKey(privateKey);
        const generated: ParsedCsr = {
          ...csr,
          publicKey,
          publicKeySpki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
        };
        const certificate = await enroll(services, kind, generated, validityDays);
        const pkcs8 = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }));
        services.respond(MODULE, 'serverkeygen-res', serverKeygenBody(pkcs8, certificate));
        return { kind: 'done', detail: 'certificate and key issued (serverkeygen)' };
      }
      case 'csrattrs-req':
        services.respond(MODULE, 'error', CsrError.notSupported);
        return WAITING;
      default:
        return WAITING;
    }
  },
};

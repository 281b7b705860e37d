import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  X509Certificate,
} from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { createCsr, derToPem, type KeySpec } from '@ztp/pki';
import { asText, asUint, createSoftwareSigner, sztp, type CborValue } from '@ztp/protocol';
import { type DeviceServiceInfoModule, type ModuleEventSink, type Respond } from './device-module';
import { type DeviceSandbox } from './sandbox';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Where the operational identity lands in the device folder. */
export const OPERATIONAL_FILES = {
  certificate: 'operational.crt',
  privateKey: 'operational.key',
  caCertificates: 'operational-ca.crt',
} as const;

export interface CsrModuleOptions {
  /** Operational key type. Default P-256. */
  keySpec?: KeySpec;
  /** Ask the owner to generate the key (fdo.csr serverkeygen) instead of sending a CSR. */
  serverKeygen?: boolean;
  /** Subject CN requested (the owner CA decides the final subject). Default "fdo-device". */
  commonName?: string;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64'));

/**
 * fdo.csr on the device (certificate enrollment over the FDO tunnel, RFC 7030 payloads): once the
 * owner activates it, the device generates its operational key, asks for the CA certificates
 * (PKCS#7 certs-only, format 281) and sends a PKCS#10 request; it stores the certificate the owner
 * CA issues, after checking it is for its key and chains to that CA, with the key (mode 0600).
 */
export class CsrModule implements DeviceServiceInfoModule {
  readonly name = 'fdo.csr';
  private privateKey: KeyObject | null = null;
  private caCertificates: X509Certificate[] = [];

  constructor(
    private readonly sandbox: DeviceSandbox,
    private readonly events: ModuleEventSink,
    private readonly options: CsrModuleOptions = {},
  ) {}

  async activate(respond: Respond): Promise<void> {
    const spec = this.options.keySpec ?? 'P-256';
    const { privateKey } = await generateKey(spec);
    this.privateKey = privateKey;
    const csr = await createCsr({
      signer: createSoftwareSigner(privateKey),
      subject: { commonName: this.options.commonName ?? 'fdo-device' },
    });
    respond('cacerts-req', 281);
    respond(this.options.serverKeygen ? 'serverkeygen-req' : 'simpleenroll-req', b64(csr));
  }

  async receive(message: string, body: CborValue, _respond: Respond): Promise<void> {
    switch (message) {
      case 'cacerts-res':
        this.caCertificates = sztp
          .decodeCertsOnly(fromB64(asText(body, 'fdo.csr:cacerts-res')))
          .map((der) => new X509Certificate(der));
        return;
      case 'simpleenroll-res':
      case 'simplereenroll-res':
        this.store(fromB64(asText(body, `fdo.csr:${message}`)), this.privateKey);
        return;
      case 'serverkeygen-res':
        this.storeServerGenerated(asText(body, 'fdo.csr:serverkeygen-res'));
        return;
      case 'error':
        this.events({
          module: this.name,
          kind: 'refused',
          detail: `the owner answered fdo.csr:error ${asUint(body, 'fdo.csr:error')}`,
        });
        return;
      default:
        return;
    }
  }

  private store(der: Uint8Array, privateKey: KeyObject | null): void {
    const certificate = new X509Certificate(der);
    if (!privateKey || !certificate.publicKey.equals(createPublicKey(privateKey)))
      return this.events({
        module: this.name,
        kind: 'refused',
        detail: 'the certificate is not for the operational key',
      });
    if (
      this.caCertificates.length > 0 &&
      !this.caCertificates.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey))
    )
      return this.events({
        module: this.name,
        kind: 'refused',
        detail: 'the certificate does not chain to the owner CA',
      });
    writeFileSync(
      this.sandbox.resolve(OPERATIONAL_FILES.privateKey),
      privateKey.export({ format: 'pem', type: 'pkcs8' }),
      {
        mode: 0o600,
      },
    );
    writeFileSync(this.sandbox.resolve(OPERATIONAL_FILES.certificate), derToPem(der));
    if (this.caCertificates.length > 0)
      writeFileSync(
        this.sandbox.resolve(OPERATIONAL_FILES.caCertificates),
        this.caCertificates.map((ca) => derToPem(new Uint8Array(ca.raw))).join(''),
      );
    this.events({
      module: this.name,
      kind: 'certificate-stored',
      detail: certificate.subject.replace(/\n/g, ', '),
    });
  }

  /** multipart/mixed (boundary "fdo"): a base64 PKCS#8 key part and a base64 certs-only part. */
  private storeServerGenerated(body: string): void {
    const parts = body
      .split(/--fdo(?:--)?\r?\n?/)
      .map((part) => part.split(/\r?\n\r?\n/))
      .filter((split) => split.length === 2);
    const part = (type: string) => parts.find(([headers]) => headers!.toLowerCase().includes(type))?.[1];
    const key = part('application/pkcs8');
    const certs = part('application/pkcs7-mime');
    if (!key || !certs)
      return this.events({
        module: this.name,
        kind: 'refused',
        detail: 'serverkeygen-res is not the expected multipart body',
      });
    const privateKey = createPrivateKeyFromPkcs8(fromB64(key));
    const [certificate] = sztp.decodeCertsOnly(fromB64(certs));
    this.store(certificate!, privateKey);
  }
}

function createPrivateKeyFromPkcs8(der: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

async function generateKey(spec: KeySpec): Promise<{ privateKey: KeyObject }> {
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

import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { createCsr, derToPem } from '@ztp/pki';
import { createSoftwareSigner, sztp } from '@ztp/protocol';
import { SztpDeviceError } from './sztp-device-error';
import { type SztpHttpResponse, type SztpTransport, SztpTransportError } from './sztp-transport';

/** A bootstrap server the device knows of: from its firmware, or from a redirect. */
export interface SztpServerLocation {
  /** Origin, e.g. `https://redirect.example.com:443`. */
  readonly url: string;
  /** DER certificates authenticating its TLS certificate; none: the server is untrusted. */
  readonly trustAnchors?: readonly Uint8Array[];
}

/** Where the device puts what it is told, in RFC 8572's order (section 5.6). */
export interface SztpApplier {
  installBootImage(image: {
    readonly bytes: Uint8Array;
    readonly uri: string;
    readonly info: sztp.BootImage;
  }): Promise<void>;
  runScript(stage: 'pre' | 'post', script: Uint8Array): Promise<void>;
  applyConfiguration(configuration: Uint8Array, handling: sztp.ConfigurationHandling): Promise<void>;
  storeLdevid(ldevid: SztpLdevid): Promise<void>;
}

export interface SztpLdevid {
  readonly certificate: Uint8Array;
  /** The certificates after it in the keystore entry (issuer first). */
  readonly chain: readonly Uint8Array[];
  readonly privateKeyPem: string;
}

export interface SztpDeviceOptions {
  readonly serialNumber: string;
  /** The servers the device starts with (well-known redirect servers), tried in order. */
  readonly bootstrapServers: readonly SztpServerLocation[];
  /** How vouchers are trusted: the manufacturer's MASA trust anchor(s) or pinned MASA certificate. */
  readonly manufacturerTrust: sztp.VoucherTrust;
  readonly transport: SztpTransport;
  /** HTTP Basic password (serial number is the user name), for servers that take activation codes. */
  readonly activationCode?: string;
  /** RESTCONF encoding. Default json. */
  readonly encoding?: sztp.Encoding;
  /** Ask for nonce-bound vouchers. Default true. */
  readonly sendNonce?: boolean;
  /** RFC 9646: offer csr-support to trusted servers and take an LDevID. Default false. */
  readonly requestLdevid?: boolean;
  /** The IDevID private key, for an LDevID on the same key when the server asks for that. */
  readonly idevidKey?: KeyObject;
  /** Downloads a boot image. Default: the transport (GET), without TLS verification of the image host. */
  readonly downloadImage?: (uri: string) => Promise<Uint8Array>;
  readonly applier: SztpApplier;
  /** Sent with bootstrap-complete. */
  readonly sshHostKeys?: readonly sztp.SshHostKey[];
  /** DER certificates sent with bootstrap-complete (with the LDevID issuer) as trust-anchor-certs. */
  readonly deviceTrustAnchors?: readonly Uint8Array[];
  /** The device's clock, for certificate and voucher validity. Default: now. */
  readonly now?: () => Date;
  readonly maxRedirects?: number;
  /** Also report progress to servers that are not trusted (the OPI agent does). Default false. */
  readonly reportToUntrusted?: boolean;
  /** What happens, for logs. */
  readonly onEvent?: (event: string) => void;
}

export interface SztpVisitedServer {
  readonly url: string;
  readonly trusted: boolean;
  readonly answer: 'redirect-information' | 'onboarding-information';
  readonly signed: boolean;
}

export interface SztpBootstrapResult {
  readonly servers: readonly SztpVisitedServer[];
  readonly onboarding: sztp.OnboardingInformation;
  readonly bootImage?: { readonly uri: string; readonly sha256: string };
  readonly ldevid?: SztpLdevid;
  /** Progress reports the server accepted. */
  readonly reported: readonly sztp.ProgressType[];
}

const GBD = 'ietf-sztp-bootstrap-server:get-bootstrapping-data';
const PROGRESS = 'ietf-sztp-bootstrap-server:report-progress';

interface ServerSession {
  readonly location: SztpServerLocation;
  readonly root: string;
  readonly trusted: boolean;
  readonly trustAnchorsPem?: string;
}

interface LdevidKey {
  readonly privateKey: KeyObject;
  readonly spki: Buffer;
}

/**
 * An RFC 8572 device that checks everything before it applies anything: it asks each server for
 * bootstrapping data (signed-data-preferred towards untrusted servers, a nonce for a nonce-bound
 * voucher, csr-support towards trusted ones), verifies the voucher against the manufacturer, the
 * owner certificate against pinned-domain-cert, the conveyed information's signature, its serial
 * number and nonce, follows redirects (trusting a redirect's trust anchors only when it was signed or
 * came from a trusted server), downloads and checks the boot image against every hash, and only then
 * installs, runs and applies, reporting progress to trusted servers.
 */
export class SztpDevice {
  private readonly encoding: sztp.Encoding;
  private readonly now: () => Date;

  constructor(private readonly options: SztpDeviceOptions) {
    this.encoding = options.encoding ?? 'json';
    this.now = options.now ?? (() => new Date());
  }

  async bootstrap(): Promise<SztpBootstrapResult> {
    const visited: SztpVisitedServer[] = [];
    let queue = [...this.options.bootstrapServers];
    const maxRedirects = this.options.maxRedirects ?? 4;
    let lastError: SztpDeviceError | undefined;
    while (queue.length > 0) {
      const location = queue.shift()!;
      let session: ServerSession;
      let answer: Awaited<ReturnType<SztpDevice['bootstrappingData']>>;
      try {
        session = await this.open(location);
        answer = await this.bootstrappingData(session);
      } catch (err) {
        if (!(err instanceof SztpDeviceError)) throw err;
        this.event(`${location.url}: ${err.message}`);
        lastError = err;
        continue;
      }
      const { conveyed, ldevidKey } = answer;
      visited.push({
        url: location.url,
        trusted: session.trusted,
        answer: conveyed.info.kind,
        signed: conveyed.signed,
      });
      if (conveyed.info.kind === 'redirect-information') {
        if (visited.filter((v) => v.answer === 'redirect-information').length > maxRedirects) {
          throw new SztpDeviceError('too-many-redirects', `more than ${maxRedirects} redirects`);
        }
        // RFC 8572 5.5: trust anchors in an unsigned redirect from an untrusted server are not trusted.
        const anchorsTrusted = conveyed.signed || session.trusted;
        queue = conveyed.info.bootstrapServers.map((server) => ({
          url: serverUrl(server.address, server.port ?? 443),
          ...(anchorsTrusted && server.trustAnchor
            ? { trustAnchors: sztp.decodeCertsOnly(server.trustAnchor) }
            : {}),
        }));
        this.event(`redirected to ${queue.map((s) => s.url).join(', ')}`);
        continue;
      }
      return { servers: visited, ...(await this.onboard(session, conveyed.info, ldevidKey)) };
    }
    throw lastError ?? new SztpDeviceError('transport', 'no bootstrap server to try');
  }

  /** The RESTCONF root from host-meta (RFC 8040 3.1), `/restconf` when the server has none. */
  private async open(location: SztpServerLocation): Promise<ServerSession> {
    const trustAnchorsPem = location.trustAnchors?.length
      ? location.trustAnchors.map((der) => derToPem(der)).join('')
      : undefined;
    const trusted = trustAnchorsPem !== undefined;
    let root = '/restconf';
    const response = await this.exchange(location.url, {
      url: `${location.url}/.well-known/host-meta`,
      method: 'GET',
      headers: { Accept: 'application/xrd+xml' },
      ...(trustAnchorsPem ? { trustAnchors: trustAnchorsPem } : {}),
    });
    const href = /<Link\s[^>]*rel=['"]restconf['"][^>]*href=['"]([^'"]+)['"]/.exec(response.body)?.[1];
    if (response.status === 200 && href?.startsWith('/')) root = href.replace(/\/+$/, '');
    return { location, root, trusted, ...(trustAnchorsPem ? { trustAnchorsPem } : {}) };
  }

  private async bootstrappingData(session: ServerSession) {
    const nonce = this.options.sendNonce === false ? undefined : new Uint8Array(randomBytes(32));
    const offerCsr = this.options.requestLdevid === true && session.trusted;
    const base: sztp.GetBootstrappingDataInput = {
      signedDataPreferred: !session.trusted,
      ...(nonce ? { nonce } : {}),
    };
    let response = await this.post(
      session,
      GBD,
      sztp.serializeGetBootstrappingDataInput(
        offerCsr ? { ...base, csrSupport: CSR_SUPPORT } : base,
        this.encoding,
      ),
    );
    let ldevidKey: LdevidKey | undefined;
    if (response.status === 400 && offerCsr) {
      const request = this.errorOf(session, response).csrRequest;
      if (request === undefined) throw this.refusal(session, response);
      ldevidKey = this.keyFor(request);
      const csr = await createCsr({
        signer: createSoftwareSigner(ldevidKey.privateKey),
        subject: { commonName: this.options.serialNumber.slice(0, 64) },
      });
      this.event(`${session.location.url}: sending a CSR (RFC 9646)`);
      response = await this.post(
        session,
        GBD,
        sztp.serializeGetBootstrappingDataInput(
          { ...base, csr: { format: 'p10-csr', value: csr } },
          this.encoding,
        ),
      );
    }
    if (response.status !== 200) throw this.refusal(session, response);
    let output: sztp.GetBootstrappingDataOutput;
    try {
      output = sztp.parseGetBootstrappingDataOutput(response.body, this.answerEncoding(response));
    } catch (err) {
      throw new SztpDeviceError(
        'malformed-answer',
        `unreadable get-bootstrapping-data output: ${(err as Error).message}`,
        { server: session.location.url },
        { cause: err },
      );
    }
    try {
      const verified = sztp.verifyBootstrappingData(output, {
        manufacturerTrust: this.options.manufacturerTrust,
        serialNumber: this.options.serialNumber,
        now: this.now(),
        trustedServer: session.trusted,
        ...(nonce ? { nonce } : {}),
      });
      return { conveyed: verified.conveyed, ldevidKey };
    } catch (err) {
      if (err instanceof sztp.SztpVerificationError || err instanceof sztp.SztpPayloadError) {
        await this.report(session, 'parsing-error', err.message);
        throw new SztpDeviceError(
          'verification',
          `bootstrapping data refused: ${err.message}`,
          { server: session.location.url },
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** Download and check everything first, then install and apply in order, reporting each step. */
  private async onboard(
    session: ServerSession,
    info: sztp.OnboardingInformation,
    ldevidKey: LdevidKey | undefined,
  ) {
    const reported: sztp.ProgressType[] = [];
    const report = async (
      type: sztp.ProgressType,
      message?: string,
      extra: Partial<sztp.ReportProgressInput> = {},
    ) => {
      if (await this.report(session, type, message, extra)) reported.push(type);
    };
    await report('bootstrap-initiated');
    await report('parsing-initiated');
    const image = info.bootImage ? await this.downloadBootImage(info.bootImage, report) : undefined;
    const ldevid = ldevidKey ? this.ldevidFrom(info, ldevidKey) : undefined;
    if (ldevidKey && ldevid === undefined) {
      await report('parsing-error', 'no LDevID for the key the device generated');
      throw new SztpDeviceError('ldevid', 'the configuration carries no LDevID for the CSR key', {
        server: session.location.url,
      });
    }
    await report('parsing-complete');
    const step = async (
      stage: string,
      started: sztp.ProgressType,
      done: sztp.ProgressType,
      failed: sztp.ProgressType,
      work: () => Promise<void>,
    ) => {
      await report(started);
      try {
        await work();
      } catch (err) {
        await report(failed, (err as Error).message);
        throw new SztpDeviceError(
          'apply',
          `${stage}: ${(err as Error).message}`,
          { server: session.location.url },
          { cause: err },
        );
      }
      await report(done);
    };
    if (image) {
      await step('boot image', 'boot-image-initiated', 'boot-image-complete', 'boot-image-error', () =>
        this.options.applier.installBootImage({ bytes: image.bytes, uri: image.uri, info: info.bootImage! }),
      );
    }
    if (info.preConfigurationScript) {
      const script = info.preConfigurationScript;
      await step(
        'pre-configuration script',
        'pre-script-initiated',
        'pre-script-complete',
        'pre-script-error',
        () => this.options.applier.runScript('pre', script),
      );
    }
    if (info.configuration) {
      const configuration = info.configuration;
      await step('configuration', 'config-initiated', 'config-complete', 'config-error', async () => {
        await this.options.applier.applyConfiguration(configuration, info.configurationHandling ?? 'merge');
        if (ldevid) await this.options.applier.storeLdevid(ldevid);
      });
    }
    if (info.postConfigurationScript) {
      const script = info.postConfigurationScript;
      await step(
        'post-configuration script',
        'post-script-initiated',
        'post-script-complete',
        'post-script-error',
        () => this.options.applier.runScript('post', script),
      );
    }
    const trustAnchorCerts = ldevid
      ? [sztp.encodeCertsOnly([...ldevid.chain].reverse().slice(0, 1))]
      : undefined;
    await report('bootstrap-complete', undefined, {
      ...(this.options.sshHostKeys?.length ? { sshHostKeys: this.options.sshHostKeys } : {}),
      ...(trustAnchorCerts && ldevid!.chain.length > 0 ? { trustAnchorCerts } : {}),
    });
    return {
      onboarding: info,
      ...(image ? { bootImage: { uri: image.uri, sha256: image.sha256 } } : {}),
      ...(ldevid ? { ldevid } : {}),
      reported,
    };
  }

  private async downloadBootImage(
    image: sztp.BootImage,
    report: (type: sztp.ProgressType, message?: string) => Promise<void>,
  ): Promise<{ bytes: Uint8Array; uri: string; sha256: string }> {
    const verifications = image.imageVerification ?? [];
    const uris = image.downloadUris ?? [];
    if (uris.length === 0) {
      await report('parsing-error', 'boot-image without download-uri');
      throw new SztpDeviceError('boot-image', 'boot-image has no download-uri');
    }
    if (verifications.length === 0) {
      // Without a hash the image could be anything: a strict device does not install it.
      await report('parsing-error', 'boot-image without image-verification');
      throw new SztpDeviceError('boot-image', 'boot-image has no image-verification hash');
    }
    const failures: string[] = [];
    for (const uri of uris) {
      let bytes: Uint8Array;
      try {
        bytes = await (this.options.downloadImage ?? ((u) => this.download(u)))(uri);
      } catch (err) {
        failures.push(`${uri}: ${(err as Error).message}`);
        continue;
      }
      const sha256 = createHash('sha256').update(bytes).digest();
      const mismatch = verifications.find((v) => !Buffer.from(v.hashValue).equals(sha256));
      if (mismatch) {
        failures.push(`${uri}: ${mismatch.hashAlgorithm} does not match`);
        continue;
      }
      return { bytes, uri, sha256: sha256.toString('hex') };
    }
    await report('parsing-error', `boot image refused: ${failures.join('; ')}`);
    throw new SztpDeviceError('boot-image', `no boot image matched its hash (${failures.join('; ')})`);
  }

  private async download(uri: string): Promise<Uint8Array> {
    const response = await this.options.transport({ url: uri, method: 'GET', headers: {} });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    return response.bytes;
  }

  private ldevidFrom(info: sztp.OnboardingInformation, key: LdevidKey): SztpLdevid | undefined {
    if (!info.configuration) return undefined;
    let document: KeystoreDocument;
    try {
      document = JSON.parse(new TextDecoder().decode(info.configuration)) as KeystoreDocument;
    } catch {
      return undefined;
    }
    const entries = document['ietf-keystore:keystore']?.['asymmetric-keys']?.['asymmetric-key'] ?? [];
    for (const entry of entries) {
      if (
        typeof entry['public-key'] !== 'string' ||
        !Buffer.from(entry['public-key'], 'base64').equals(key.spki)
      )
        continue;
      const certData = entry.certificates?.certificate?.[0]?.['cert-data'];
      if (typeof certData !== 'string') continue;
      try {
        const [certificate, ...chain] = sztp.decodeCertsOnly(Buffer.from(certData, 'base64'));
        const publicKey = sztp
          .parseCertificate(certificate!)
          .x509.publicKey.export({ type: 'spki', format: 'der' });
        if (!publicKey.equals(key.spki)) continue;
        return {
          certificate: certificate!,
          chain,
          privateKeyPem: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        };
      } catch {
        continue;
      }
    }
    return undefined;
  }

  private keyFor(request: sztp.CsrRequest): LdevidKey {
    let privateKey: KeyObject;
    if (request.keyGeneration === undefined) {
      if (this.options.idevidKey === undefined) {
        throw new SztpDeviceError(
          'ldevid',
          'the server wants a CSR for the IDevID key, which this device cannot use',
        );
      }
      privateKey = this.options.idevidKey;
    } else {
      const algorithm = sztp.parseAlgorithmIdentifier(request.keyGeneration.selectedAlgorithm);
      const curve = CURVES[algorithm.parameterOid ?? ''];
      if (algorithm.algorithm !== sztp.Oid.ecPublicKey || curve === undefined) {
        throw new SztpDeviceError(
          'ldevid',
          `the server selected a key algorithm this device did not offer (${algorithm.algorithm})`,
        );
      }
      privateKey = generateKeyPairSync('ec', { namedCurve: curve }).privateKey;
    }
    return { privateKey, spki: createPublicKey(privateKey).export({ type: 'spki', format: 'der' }) };
  }

  private async post(session: ServerSession, operation: string, body: string): Promise<SztpHttpResponse> {
    const mediaType = sztp.mediaTypeFor(this.encoding);
    return this.exchange(session.location.url, {
      url: `${session.location.url}${session.root}/operations/${operation}`,
      method: 'POST',
      headers: { 'Content-Type': mediaType, Accept: mediaType, ...this.authorization() },
      body,
      ...(session.trustAnchorsPem ? { trustAnchors: session.trustAnchorsPem } : {}),
    });
  }

  /** Reports progress to a trusted server; a failed report does not stop the device. */
  private async report(
    session: ServerSession,
    progressType: sztp.ProgressType,
    message?: string,
    extra: Partial<sztp.ReportProgressInput> = {},
  ): Promise<boolean> {
    if (!session.trusted && !this.options.reportToUntrusted) return false;
    const input: sztp.ReportProgressInput = { progressType, ...(message ? { message } : {}), ...extra };
    try {
      const response = await this.post(
        session,
        PROGRESS,
        sztp.serializeReportProgressInput(input, this.encoding),
      );
      this.event(`${progressType} reported (${response.status})`);
      return response.status === 204 || response.status === 200;
    } catch (err) {
      this.event(`${progressType} not reported: ${(err as Error).message}`);
      return false;
    }
  }

  private async exchange(server: string, request: Parameters<SztpTransport>[0]): Promise<SztpHttpResponse> {
    try {
      return await this.options.transport(request);
    } catch (err) {
      if (err instanceof SztpTransportError) {
        throw new SztpDeviceError('transport', err.message, { server }, { cause: err });
      }
      throw err;
    }
  }

  private authorization(): Record<string, string> {
    if (this.options.activationCode === undefined) return {};
    const credentials = Buffer.from(`${this.options.serialNumber}:${this.options.activationCode}`).toString(
      'base64',
    );
    return { Authorization: `Basic ${credentials}` };
  }

  private answerEncoding(response: SztpHttpResponse): sztp.Encoding {
    return sztp.encodingForMediaType(response.headers['content-type']) ?? this.encoding;
  }

  private errorOf(session: ServerSession, response: SztpHttpResponse): sztp.RestconfError {
    try {
      const [first] = sztp.parseRestconfErrors(response.body, this.answerEncoding(response));
      if (first) return first;
    } catch {
      // Not a RESTCONF error document: reported as such below.
    }
    throw new SztpDeviceError('malformed-answer', `HTTP ${response.status} without a RESTCONF error`, {
      server: session.location.url,
    });
  }

  private refusal(session: ServerSession, response: SztpHttpResponse): SztpDeviceError {
    const error = this.errorOf(session, response);
    return new SztpDeviceError(
      'refused',
      `HTTP ${response.status} ${error.errorTag}: ${error.errorMessage ?? ''}`.trim(),
      { restconfError: error, server: session.location.url },
    );
  }

  private event(text: string): void {
    this.options.onEvent?.(text);
  }
}

const CURVES: Record<string, string> = {
  [sztp.Oid.secp256r1]: 'prime256v1',
  [sztp.Oid.secp384r1]: 'secp384r1',
};

/** What the device offers: new P-256 or P-384 keys, PKCS#10 CSRs. */
const CSR_SUPPORT: sztp.CsrSupport = {
  keyGeneration: {
    supportedAlgorithms: [
      sztp.encodeAlgorithmIdentifier(sztp.Oid.ecPublicKey, sztp.Oid.secp256r1),
      sztp.encodeAlgorithmIdentifier(sztp.Oid.ecPublicKey, sztp.Oid.secp384r1),
    ],
  },
  supportedFormats: ['p10-csr'],
};

interface KeystoreDocument {
  'ietf-keystore:keystore'?: {
    'asymmetric-keys'?: {
      'asymmetric-key'?: {
        'public-key'?: unknown;
        certificates?: { certificate?: { 'cert-data'?: unknown }[] };
      }[];
    };
  };
}

function serverUrl(address: string, port: number): string {
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  return `https://${host}:${port}`;
}

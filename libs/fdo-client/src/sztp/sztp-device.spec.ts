import { createHash, createPublicKey, webcrypto } from 'node:crypto';
import { parseCsr } from '@ztp/pki';
import { sztp } from '@ztp/protocol';
import { createTestPki, issueCertificate, TEST_NOW } from '@ztp/protocol/sztp/pki.testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SztpApplier, SztpDevice, type SztpDeviceOptions, type SztpLdevid } from './sztp-device';
import { SztpDeviceError } from './sztp-device-error';
import { type SztpHttpRequest, type SztpHttpResponse } from './sztp-transport';

const IMAGE = new TextEncoder().encode('VendorOS 17.3 image bytes');
const IMAGE_SHA256 = createHash('sha256').update(IMAGE).digest();
const SERIAL = 'SN-42';
type Pki = Awaited<ReturnType<typeof createTestPki>>;

/** A scripted pair of SZTP servers: "redirect" (untrusted by the device) and "onboarding". */
class FakeServers {
  readonly requests: {
    url: string;
    input?: sztp.GetBootstrappingDataInput;
    progress?: sztp.ReportProgressInput;
  }[] = [];
  answer: (server: string, input: sztp.GetBootstrappingDataInput) => Promise<SztpHttpResponse>;

  constructor(answer: FakeServers['answer']) {
    this.answer = answer;
  }

  readonly transport = async (request: SztpHttpRequest): Promise<SztpHttpResponse> => {
    const url = new URL(request.url);
    const text = (
      status: number,
      body: string,
      type: string = sztp.MediaType.yangDataJson,
    ): SztpHttpResponse => ({
      status,
      headers: { 'content-type': type },
      body,
      bytes: new TextEncoder().encode(body),
    });
    if (url.hostname === 'images.example') return { ...text(200, ''), bytes: IMAGE };
    if (url.pathname === '/.well-known/host-meta') {
      return text(200, "<XRD><Link rel='restconf' href='/rc'/></XRD>", 'application/xrd+xml');
    }
    if (url.pathname.endsWith(':report-progress')) {
      this.requests.push({
        url: request.url,
        progress: sztp.parseReportProgressInput(request.body!, 'json'),
      });
      return { status: 204, headers: {}, body: '', bytes: new Uint8Array() };
    }
    expect(url.pathname).toBe('/rc/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data');
    const input = sztp.parseGetBootstrappingDataInput(request.body!, 'json');
    this.requests.push({ url: request.url, input });
    return this.answer(url.host, input);
  };
}

const ok = (output: sztp.GetBootstrappingDataOutput): SztpHttpResponse => {
  const body = sztp.serializeGetBootstrappingDataOutput(output, 'json');
  return {
    status: 200,
    headers: { 'content-type': sztp.MediaType.yangDataJson },
    body,
    bytes: new TextEncoder().encode(body),
  };
};

class RecordingApplier implements SztpApplier {
  readonly calls: string[] = [];
  ldevid?: SztpLdevid;
  async installBootImage(image: { bytes: Uint8Array; uri: string }) {
    this.calls.push(`image ${image.uri} ${image.bytes.length}`);
  }
  async runScript(stage: 'pre' | 'post', script: Uint8Array) {
    this.calls.push(`${stage} ${new TextDecoder().decode(script)}`);
  }
  async applyConfiguration(configuration: Uint8Array, handling: sztp.ConfigurationHandling) {
    this.calls.push(`config ${handling} ${configuration.length}`);
  }
  async storeLdevid(ldevid: SztpLdevid) {
    this.ldevid = ldevid;
    this.calls.push('ldevid');
  }
}

describe('SztpDevice (a strict RFC 8572 device)', () => {
  let pki: Pki;
  let owner: sztp.CmsSigner;
  let masa: sztp.CmsSigner;
  let serverCa: Awaited<ReturnType<typeof issueCertificate>>;

  beforeAll(async () => {
    pki = await createTestPki();
    owner = sztp.keyObjectSigner(pki.owner.certificate, pki.owner.privateKey);
    masa = sztp.keyObjectSigner(pki.masa.certificate, pki.masa.privateKey);
    serverCa = await issueCertificate({ subject: 'CN=Onboarding TLS CA', ca: true });
  });

  const onboardingInfo: sztp.ConveyedInformation = {
    kind: 'onboarding-information',
    bootImage: {
      osName: 'VendorOS',
      downloadUris: ['https://images.example/os.bin'],
      imageVerification: [{ hashAlgorithm: 'sha-256', hashValue: IMAGE_SHA256 }],
    },
    preConfigurationScript: new TextEncoder().encode('pre!'),
    configuration: new TextEncoder().encode('{"hostname":"r1"}'),
    configurationHandling: 'replace',
    postConfigurationScript: new TextEncoder().encode('post!'),
  };

  async function signed(
    info: sztp.ConveyedInformation,
    input: sztp.GetBootstrappingDataInput,
    serial = SERIAL,
  ) {
    return ok({
      conveyedInformation: await sztp.signConveyedInformation(info, owner),
      ownerCertificate: sztp.encodeOwnerCertificate(pki.owner.certificate, [pki.ownerIssuing.certificate]),
      ownershipVoucher: await sztp.issueVoucher(
        {
          createdOn: '2025-05-01T00:00:00Z',
          assertion: 'verified',
          serialNumber: serial,
          pinnedDomainCert: pki.ownerRoot.certificate,
          ...(input.nonce ? { nonce: input.nonce } : {}),
        },
        masa,
      ),
    });
  }

  function device(servers: FakeServers, applier: SztpApplier, extra: Partial<SztpDeviceOptions> = {}) {
    return new SztpDevice({
      serialNumber: SERIAL,
      bootstrapServers: [{ url: 'https://redirect.example:443' }],
      manufacturerTrust: { trustAnchors: [pki.vendorRoot.certificate] },
      transport: servers.transport,
      applier,
      now: () => TEST_NOW,
      ...extra,
    });
  }

  it('follows a signed redirect, trusts its anchor, verifies everything, then applies in order and reports', async () => {
    const servers = new FakeServers(async (host, input) =>
      host === 'redirect.example'
        ? signed(
            {
              kind: 'redirect-information',
              bootstrapServers: [
                {
                  address: 'onboarding.example',
                  port: 8443,
                  trustAnchor: sztp.encodeCertsOnly([serverCa.certificate]),
                },
              ],
            },
            input,
          )
        : signed(onboardingInfo, input),
    );
    const applier = new RecordingApplier();
    const result = await device(servers, applier, {
      sshHostKeys: [{ algorithm: 'ssh-ed25519', keyData: new Uint8Array(51) }],
    }).bootstrap();
    expect(result.servers).toEqual([
      { url: 'https://redirect.example:443', trusted: false, answer: 'redirect-information', signed: true },
      {
        url: 'https://onboarding.example:8443',
        trusted: true,
        answer: 'onboarding-information',
        signed: true,
      },
    ]);
    const [toRedirect, toOnboarding] = servers.requests.filter((r) => r.input);
    expect(toRedirect!.input).toMatchObject({ signedDataPreferred: true });
    expect(toRedirect!.input!.nonce).toHaveLength(32);
    expect(toOnboarding!.input).toMatchObject({ signedDataPreferred: false });
    expect(applier.calls).toEqual([
      `image https://images.example/os.bin ${IMAGE.length}`,
      'pre pre!',
      'config replace 17',
      'post post!',
    ]);
    expect(result.reported).toEqual([
      'bootstrap-initiated',
      'parsing-initiated',
      'parsing-complete',
      'boot-image-initiated',
      'boot-image-complete',
      'pre-script-initiated',
      'pre-script-complete',
      'config-initiated',
      'config-complete',
      'post-script-initiated',
      'post-script-complete',
      'bootstrap-complete',
    ]);
    const complete = servers.requests.at(-1)!.progress!;
    expect(complete.sshHostKeys).toHaveLength(1);
    expect(
      servers.requests
        .filter((r) => r.progress)
        .every((r) => r.url.startsWith('https://onboarding.example:8443/rc/')),
    ).toBe(true);
  });

  async function refusal(
    servers: FakeServers,
    applier: RecordingApplier,
    extra: Partial<SztpDeviceOptions> = {},
  ) {
    try {
      await device(servers, applier, extra).bootstrap();
    } catch (err) {
      expect(err).toBeInstanceOf(SztpDeviceError);
      expect(applier.calls).toEqual([]);
      return err as SztpDeviceError;
    }
    throw new Error('expected the device to refuse');
  }

  it('refuses a voucher for another serial number, a voucher without its nonce, and a forged signature', async () => {
    const applier = new RecordingApplier();
    const otherSerial = await refusal(
      new FakeServers((_host, input) => signed(onboardingInfo, input, 'SN-OTHER')),
      applier,
    );
    expect(otherSerial).toMatchObject({ code: 'verification' });
    expect(otherSerial.message).toMatch(/serial-number|SN-OTHER/);

    const staleNonce = await refusal(
      new FakeServers((_host, input) =>
        signed(onboardingInfo, { ...input, nonce: new Uint8Array(32).fill(7) }),
      ),
      applier,
    );
    expect(staleNonce.message).toMatch(/nonce/);

    const intruder = sztp.keyObjectSigner(pki.masa.certificate, pki.masa.privateKey);
    const forged = await refusal(
      new FakeServers(async (_host, input) => {
        const genuine = await signed(onboardingInfo, input);
        const output = sztp.parseGetBootstrappingDataOutput(genuine.body, 'json');
        // Signed by the MASA key with the owner certificate in the bag: not the owner's signature.
        return ok({
          ...output,
          conveyedInformation: await sztp.signConveyedInformation(onboardingInfo, intruder),
        });
      }),
      applier,
    );
    expect(forged.code).toBe('verification');
  });

  it('never accepts unsigned onboarding information from a server it does not trust', async () => {
    const applier = new RecordingApplier();
    const error = await refusal(
      new FakeServers(async () =>
        ok({ conveyedInformation: sztp.encodeUnsignedConveyedInformation(onboardingInfo) }),
      ),
      applier,
    );
    expect(error.message).toMatch(/unsigned onboarding information/);
  });

  it('installs nothing when the boot image does not match its hash, and says so to a trusted server', async () => {
    const wrongHash = {
      ...onboardingInfo,
      bootImage: {
        ...onboardingInfo.bootImage!,
        imageVerification: [{ hashAlgorithm: 'sha-256' as const, hashValue: new Uint8Array(32) }],
      },
    } as sztp.ConveyedInformation;
    const servers = new FakeServers((_host, input) => signed(wrongHash, input));
    const applier = new RecordingApplier();
    const error = await refusal(servers, applier, {
      bootstrapServers: [{ url: 'https://onboarding.example:8443', trustAnchors: [serverCa.certificate] }],
    });
    expect(error.code).toBe('boot-image');
    expect(servers.requests.filter((r) => r.progress).map((r) => r.progress!.progressType)).toEqual([
      'bootstrap-initiated',
      'parsing-initiated',
      'parsing-error',
    ]);
  });

  it('answers a csr-request with a CSR for a fresh P-256 key and keeps the LDevID delivered in the keystore', async () => {
    let issued: Uint8Array | undefined;
    const servers = new FakeServers(async (_host, input) => {
      if (input.csrSupport) {
        expect(input.signedDataPreferred).toBe(false);
        const request: sztp.CsrRequest = {
          keyGeneration: { selectedAlgorithm: input.csrSupport.keyGeneration!.supportedAlgorithms[0]! },
          selectedFormat: 'p10-csr',
        };
        const body = sztp.serializeRestconfErrors([sztp.csrRequestError(request)], 'json');
        return {
          status: 400,
          headers: { 'content-type': sztp.MediaType.yangDataJson },
          body,
          bytes: new Uint8Array(),
        };
      }
      const csr = await parseCsr(input.csr!.value);
      const publicKey = await webcrypto.subtle.importKey(
        'spki',
        csr.publicKeySpki,
        { name: 'ECDSA', namedCurve: 'P-256' },
        true,
        ['verify'],
      );
      const ldevid = await issueCertificate({
        subject: `CN=${SERIAL}`,
        issuer: pki.ownerIssuing,
        keys: { publicKey, privateKey: pki.ownerIssuing.keys.privateKey } as webcrypto.CryptoKeyPair,
      });
      issued = ldevid.certificate;
      const keystore = sztp.encodeKeystore(
        [
          {
            name: 'ldevid',
            publicKey: csr.publicKeySpki,
            certificates: [
              sztp.keystoreCertificate('ldevid', ldevid.certificate, [pki.ownerIssuing.certificate]),
            ],
          },
        ],
        'json',
      );
      return signed(
        {
          kind: 'onboarding-information',
          configuration: new TextEncoder().encode(keystore),
          configurationHandling: 'merge',
        },
        input,
      );
    });
    const applier = new RecordingApplier();
    const result = await device(servers, applier, {
      bootstrapServers: [{ url: 'https://onboarding.example:8443', trustAnchors: [serverCa.certificate] }],
      requestLdevid: true,
    }).bootstrap();
    expect(result.ldevid!.certificate).toEqual(issued);
    expect(result.ldevid!.chain).toEqual([pki.ownerIssuing.certificate]);
    const key = createPublicKey(result.ldevid!.privateKeyPem).export({ type: 'spki', format: 'der' });
    expect(
      sztp.parseCertificate(issued!).x509.publicKey.export({ type: 'spki', format: 'der' }).equals(key),
    ).toBe(true);
    expect(applier.calls).toEqual(['config merge ' + applier.calls[0]!.split(' ')[2], 'ldevid']);
  });
});

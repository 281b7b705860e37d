import { decodeHexString, encodeBinary, encodeHexString } from './binary';
import { SztpPayloadError } from './errors';
import { bodyText } from './text';
import { Modules } from './yang/modules';
import { readDocument, type Encoding, type ReadOptions, type YangReader } from './yang/reader';
import { toJson, toXml, y, type YangMember } from './yang/tree';

/**
 * The `ietf-sztp-conveyed-info` yang-data (RFC 8572 section 6): exactly one of redirect
 * information (where to go next) or onboarding information (what to install and run).
 */
const M = Modules.conveyedInfo;

export interface BootstrapServer {
  /** inet:host: IP address or DNS name. */
  readonly address: string;
  /** Default 443 when absent. */
  readonly port?: number;
  /** DER certs-only CMS: the chain authenticating that server's TLS certificate. */
  readonly trustAnchor?: Uint8Array;
}

export interface RedirectInformation {
  readonly bootstrapServers: readonly BootstrapServer[];
}

/** Only `sha-256` is defined by RFC 8572. */
export type HashAlgorithm = 'sha-256';

export interface ImageVerification {
  readonly hashAlgorithm: HashAlgorithm;
  /** Raw digest bytes (written as yang:hex-string `aa:bb:...`). */
  readonly hashValue: Uint8Array;
}

export interface BootImage {
  /** Note: the OPI agent refuses boot-image members other than download-uri and image-verification. */
  readonly osName?: string;
  readonly osVersion?: string;
  readonly downloadUris?: readonly string[];
  readonly imageVerification?: readonly ImageVerification[];
}

export type ConfigurationHandling = 'merge' | 'replace';

export interface OnboardingInformation {
  readonly bootImage?: BootImage;
  /** Present exactly when `configuration` is (YANG must statements). */
  readonly configurationHandling?: ConfigurationHandling;
  readonly preConfigurationScript?: Uint8Array;
  readonly configuration?: Uint8Array;
  readonly postConfigurationScript?: Uint8Array;
}

export type ConveyedInformation =
  | ({ readonly kind: 'redirect-information' } & RedirectInformation)
  | ({ readonly kind: 'onboarding-information' } & OnboardingInformation);

const HASH_LENGTH: Record<HashAlgorithm, number> = { 'sha-256': 32 };
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

function checkRedirect(info: RedirectInformation, path: string): void {
  if (info.bootstrapServers.length === 0) {
    throw new SztpPayloadError('missing-element', `${path}/bootstrap-server`, 'needs at least one entry');
  }
  const seen = new Set<string>();
  info.bootstrapServers.forEach((server, i) => {
    const entry = `${path}/bootstrap-server[${i}]`;
    if (server.address.trim() === '')
      throw new SztpPayloadError('invalid-value', `${entry}/address`, 'is empty');
    if (seen.has(server.address))
      throw new SztpPayloadError('data-exists', `${entry}/address`, 'duplicate list key');
    seen.add(server.address);
    if (
      server.port !== undefined &&
      !(Number.isInteger(server.port) && server.port >= 0 && server.port <= 65_535)
    ) {
      throw new SztpPayloadError('invalid-value', `${entry}/port`, 'expected an integer 0..65535');
    }
  });
}

function checkOnboarding(info: OnboardingInformation, path: string): void {
  if ((info.configurationHandling === undefined) !== (info.configuration === undefined)) {
    throw new SztpPayloadError(
      'missing-element',
      `${path}/${info.configuration === undefined ? 'configuration' : 'configuration-handling'}`,
      'configuration and configuration-handling go together',
    );
  }
  const image = info.bootImage;
  if (image === undefined) return;
  const imagePath = `${path}/boot-image`;
  image.downloadUris?.forEach((uri, i) => {
    if (!URI.test(uri))
      throw new SztpPayloadError('invalid-value', `${imagePath}/download-uri[${i}]`, 'not a URI');
  });
  const verifications = image.imageVerification ?? [];
  if (verifications.length > 0 && (image.downloadUris?.length ?? 0) === 0) {
    throw new SztpPayloadError(
      'missing-element',
      `${imagePath}/download-uri`,
      'image-verification needs download-uri',
    );
  }
  const seen = new Set<string>();
  verifications.forEach((v, i) => {
    const entry = `${imagePath}/image-verification[${i}]`;
    if (seen.has(v.hashAlgorithm))
      throw new SztpPayloadError('data-exists', entry, 'duplicate hash-algorithm');
    seen.add(v.hashAlgorithm);
    if (v.hashValue.length !== HASH_LENGTH[v.hashAlgorithm]) {
      throw new SztpPayloadError('invalid-value', `${entry}/hash-value`, `not a ${v.hashAlgorithm} digest`);
    }
  });
}

function conveyedMember(info: ConveyedInformation): YangMember {
  const path = `/${M.name}:${info.kind}`;
  if (info.kind === 'redirect-information') {
    checkRedirect(info, path);
    return y.container(M, 'redirect-information', [
      y.list(
        M,
        'bootstrap-server',
        info.bootstrapServers.map((server) => [
          y.leaf(M, 'address', server.address),
          y.leaf(M, 'port', server.port),
          y.leaf(M, 'trust-anchor', server.trustAnchor && encodeBinary(server.trustAnchor)),
        ]),
      ),
    ]);
  }
  checkOnboarding(info, path);
  const image = info.bootImage;
  return y.container(M, 'onboarding-information', [
    image &&
      y.container(M, 'boot-image', [
        y.leaf(M, 'os-name', image.osName),
        y.leaf(M, 'os-version', image.osVersion),
        y.leafList(M, 'download-uri', image.downloadUris),
        y.list(
          M,
          'image-verification',
          image.imageVerification?.map((v) => [
            y.leaf(M, 'hash-algorithm', { module: M, identity: v.hashAlgorithm }),
            y.leaf(M, 'hash-value', encodeHexString(v.hashValue)),
          ]),
        ),
      ]),
    y.leaf(M, 'configuration-handling', info.configurationHandling),
    y.leaf(
      M,
      'pre-configuration-script',
      info.preConfigurationScript && encodeBinary(info.preConfigurationScript),
    ),
    y.leaf(M, 'configuration', info.configuration && encodeBinary(info.configuration)),
    y.leaf(
      M,
      'post-configuration-script',
      info.postConfigurationScript && encodeBinary(info.postConfigurationScript),
    ),
  ]);
}

/**
 * RFC 7951 JSON (`{"ietf-sztp-conveyed-info:onboarding-information": ...}`) or XML. Identityref
 * values are always module-qualified (`ietf-sztp-conveyed-info:sha-256`), as OPI and IOS-XE need.
 */
export function encodeConveyedInformation(info: ConveyedInformation, encoding: Encoding): string {
  const member = conveyedMember(info);
  return encoding === 'json' ? toJson(member) : toXml(member);
}

function readRedirect(reader: YangReader): RedirectInformation {
  const bootstrapServers = reader
    .list('bootstrap-server', { mandatory: true })
    .map((entry): BootstrapServer => {
      const address = entry.string('address', { mandatory: true });
      const port = entry.uint16('port');
      const trustAnchor = entry.binary('trust-anchor');
      entry.finish();
      return { address, ...(port !== undefined ? { port } : {}), ...(trustAnchor ? { trustAnchor } : {}) };
    });
  return { bootstrapServers };
}

function readBootImage(reader: YangReader): BootImage {
  const osName = reader.string('os-name');
  const osVersion = reader.string('os-version');
  const downloadUris = reader.stringList('download-uri');
  const imageVerification = reader.list('image-verification').map((entry): ImageVerification => {
    const hashAlgorithm = entry.identity(
      'hash-algorithm',
      [{ module: M, identity: 'sha-256', value: 'sha-256' as const }],
      {
        mandatory: true,
      },
    );
    const hashText = entry.string('hash-value', { mandatory: true });
    const hashValue = decodeHexString(hashText.trim(), `${entry.path}/hash-value`);
    entry.finish();
    return { hashAlgorithm, hashValue };
  });
  reader.finish();
  return {
    ...(osName !== undefined ? { osName } : {}),
    ...(osVersion !== undefined ? { osVersion } : {}),
    ...(downloadUris.length > 0 ? { downloadUris } : {}),
    ...(imageVerification.length > 0 ? { imageVerification } : {}),
  };
}

function readOnboarding(reader: YangReader): OnboardingInformation {
  const imageNode = reader.container('boot-image');
  const bootImage = imageNode && readBootImage(imageNode);
  const configurationHandling = reader.enumeration('configuration-handling', ['merge', 'replace'] as const);
  const preConfigurationScript = reader.binary('pre-configuration-script');
  const configuration = reader.binary('configuration');
  const postConfigurationScript = reader.binary('post-configuration-script');
  return {
    ...(bootImage ? { bootImage } : {}),
    ...(configurationHandling ? { configurationHandling } : {}),
    ...(preConfigurationScript ? { preConfigurationScript } : {}),
    ...(configuration ? { configuration } : {}),
    ...(postConfigurationScript ? { postConfigurationScript } : {}),
  };
}

/** Parses conveyed information (the content inside the CMS) in either encoding. */
export function parseConveyedInformation(
  body: string | Uint8Array,
  encoding: Encoding,
  options: ReadOptions = {},
): ConveyedInformation {
  const { name, reader } = readDocument(
    bodyText(body),
    encoding,
    M,
    ['redirect-information', 'onboarding-information'],
    options,
  );
  const path = `/${M.name}:${name}`;
  if (name === 'redirect-information') {
    const info = readRedirect(reader);
    reader.finish();
    checkRedirect(info, path);
    return { kind: 'redirect-information', ...info };
  }
  const info = readOnboarding(reader);
  reader.finish();
  checkOnboarding(info, path);
  return { kind: 'onboarding-information', ...info };
}

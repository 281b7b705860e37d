import * as asn1js from 'asn1js';
import { createHash, sign as nodeSign, webcrypto, type KeyLike, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SztpVerificationError } from '../errors';
import { Oid } from '../oids';
import { issueCertificate, type TestIdentity } from '../pki.testing';
import { encodeConveyedInformation, type ConveyedInformation } from '../conveyed-info';
import { encodeVoucherJson } from '../voucher';
import { signCms, verifySignedData } from './signed-data';
import { keyObjectSigner, type CmsSigner } from './signer';
import { type CmsSignatureAlgorithm } from './algorithms';

/**
 * Differential test of our CMS SignedData reader/verifier against pkijs (SignedData parse +
 * verify): the same valid and mutated inputs go to both, and both must give the same
 * accept/reject answer and, on accept, the same signed content. The mutations are seeded, so a
 * run is repeatable (the keys are fresh per run, so the bytes are not; a disagreement prints the
 * input in hex).
 *
 * pkijs is the reference for parsing and signature checking. Where it accepts what RFC 5652 (or
 * the SZTP profile our verifier implements) forbids, the rule is written out below in
 * `profileRefusal` with its reference and applied to pkijs's parse of the same input, so the test
 * still demands exact agreement everywhere else.
 */
const SEED = 0x5a7b_2026;
const MUTATED_INPUTS = Number(process.env['CMS_DIFF_N'] ?? 10_000);

const ALLOWED: readonly string[] = [
  Oid.data,
  Oid.sztpConveyedInfoJson,
  Oid.sztpConveyedInfoXml,
  Oid.animaJsonVoucher,
];

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (mulberry32).

function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}
type Rng = ReturnType<typeof prng>;

// ---------------------------------------------------------------------------------------------
// A tiny DER tree (test only, independent of both readers under test) to mutate structure and
// re-encode with consistent lengths around the mutation.

interface Node {
  id: Uint8Array;
  constructed: boolean;
  children?: Node[];
  content?: Uint8Array;
  /** Length written differently from the canonical one. */
  length?: { kind: 'delta'; delta: number } | { kind: 'long-form' } | { kind: 'indefinite' };
}

function parseTree(bytes: Uint8Array, start = 0, end = bytes.length, depth = 0): Node[] | undefined {
  const nodes: Node[] = [];
  let pos = start;
  while (pos < end) {
    if (depth > 40 || pos + 2 > end) return undefined;
    const idStart = pos;
    const first = bytes[pos++]!;
    if ((first & 0x1f) === 0x1f) {
      while (pos < end && bytes[pos]! & 0x80) pos++;
      pos++;
    }
    if (pos >= end) return undefined;
    const id = bytes.slice(idStart, pos);
    const l = bytes[pos++]!;
    let length = l;
    if (l === 0x80) return undefined;
    if (l & 0x80) {
      const count = l & 0x7f;
      if (count > 4 || pos + count > end) return undefined;
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + bytes[pos++]!;
    }
    if (pos + length > end) return undefined;
    const constructed = (first & 0x20) !== 0;
    if (constructed) {
      const children = parseTree(bytes, pos, pos + length, depth + 1);
      if (children === undefined) return undefined;
      nodes.push({ id, constructed, children });
    } else {
      nodes.push({ id, constructed, content: bytes.slice(pos, pos + length) });
    }
    pos += length;
  }
  return nodes;
}

function lengthOctets(length: number): number[] {
  if (length < 0x80) return [length];
  const out: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) out.unshift(n % 256);
  return [0x80 | out.length, ...out];
}

function encodeNode(node: Node): Uint8Array {
  const content = node.constructed
    ? Buffer.concat((node.children ?? []).map(encodeNode))
    : Buffer.from(node.content ?? []);
  const override = node.length;
  if (override?.kind === 'indefinite' && node.constructed) {
    return Buffer.concat([node.id, Uint8Array.of(0x80), content, Uint8Array.of(0, 0)]);
  }
  let len: number[];
  if (override?.kind === 'delta') len = lengthOctets(Math.max(0, content.length + override.delta));
  else if (override?.kind === 'long-form')
    len = [0x84, ...[24, 16, 8, 0].map((s) => (content.length >>> s) & 0xff)];
  else len = lengthOctets(content.length);
  return Buffer.concat([node.id, Uint8Array.from(len), content]);
}

function walk(node: Node, visit: (n: Node, parent: Node | undefined) => void, parent?: Node): void {
  visit(node, parent);
  for (const child of node.children ?? []) walk(child, visit, node);
}

function allNodes(root: Node): { node: Node; parent: Node | undefined }[] {
  const out: { node: Node; parent: Node | undefined }[] = [];
  walk(root, (node, parent) => out.push({ node, parent }));
  return out;
}

const oidContent = (dotted: string) => {
  const arcs = dotted.split('.').map(Number);
  const body: number[] = [];
  for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const chunk: number[] = [];
    let n = arc;
    do {
      chunk.unshift(n & 0x7f);
      n = Math.floor(n / 128);
    } while (n > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    body.push(...chunk);
  }
  return Uint8Array.from(body);
};

const OTHER_OIDS = [
  Oid.data,
  Oid.signedData,
  Oid.envelopedData,
  Oid.animaJsonVoucher,
  Oid.sztpConveyedInfoJson,
  Oid.sztpConveyedInfoXml,
  Oid.contentTypeAttr,
  Oid.messageDigestAttr,
  Oid.signingTimeAttr,
  Oid.sha256,
  Oid.sha384,
  Oid.sha512,
  '1.3.14.3.2.26', // SHA-1
  Oid.rsaEncryption,
  Oid.rsassaPss,
  Oid.sha256WithRsa,
  Oid.sha384WithRsa,
  Oid.ecPublicKey,
  Oid.ecdsaWithSha256,
  Oid.ecdsaWithSha384,
  Oid.ecdsaWithSha512,
  Oid.ed25519,
  Oid.secp256r1,
  Oid.secp384r1,
  '2.5.4.3', // commonName
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.15', // keyUsage
  '2.5.29.19', // basicConstraints
];

// ---------------------------------------------------------------------------------------------
// Signers and the inputs they make.

interface Identity {
  readonly name: string;
  readonly id: TestIdentity;
  readonly algorithm: CmsSignatureAlgorithm;
  /** node:crypto sign arguments for re-signing mutated signed attributes. */
  readonly hash: string | null;
  readonly key:
    | KeyLike
    | { key: KeyObject; padding: number; saltLength: number }
    | { key: KeyObject; dsaEncoding: 'der' };
}

interface Sample {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The certificate(s) the verifier is told about (as a pinned signer candidate). */
  readonly pinned: readonly Uint8Array[];
  /** Who signed (for re-signing after a mutation); undefined for third-party fixtures. */
  readonly signer?: Identity;
}

const info: ConveyedInformation = {
  kind: 'onboarding-information',
  configurationHandling: 'replace',
  configuration: new TextEncoder().encode('hostname device-1\n'),
};

async function pkijsSign(
  identity: Identity,
  content: Uint8Array,
  eContentType: string,
  hash: 'SHA-256' | 'SHA-384',
): Promise<Uint8Array> {
  const certificate = pkijs.Certificate.fromBER(identity.id.certificate);
  const digest = createHash(hash.replace('-', '').toLowerCase()).update(content).digest();
  const signedData = new pkijs.SignedData({
    version: eContentType === Oid.data ? 1 : 3,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType,
      eContent: new asn1js.OctetString({ valueHex: content }),
    }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({
          issuer: certificate.issuer,
          serialNumber: certificate.serialNumber,
        }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new pkijs.Attribute({
              type: Oid.contentTypeAttr,
              values: [new asn1js.ObjectIdentifier({ value: eContentType })],
            }),
            new pkijs.Attribute({
              type: Oid.messageDigestAttr,
              values: [new asn1js.OctetString({ valueHex: digest })],
            }),
          ],
        }),
      }),
    ],
    certificates: [certificate],
  });
  await signedData.sign(identity.id.cryptoKey, 0, hash);
  const contentInfo = new pkijs.ContentInfo({
    contentType: Oid.signedData,
    content: signedData.toSchema(true),
  });
  return new Uint8Array(contentInfo.toSchema().toBER());
}

// ---------------------------------------------------------------------------------------------
// The two verifiers.

type Verdict = { accepted: true; content: string } | { accepted: false; why: string };

function ours(sample: Uint8Array, pinned: readonly Uint8Array[]): Verdict {
  try {
    const verified = verifySignedData(sample, {
      allowedContentTypes: ALLOWED,
      signerCandidates: pinned,
      useEmbeddedCertificates: true,
    });
    return { accepted: true, content: Buffer.from(verified.content).toString('hex') };
  } catch (err) {
    // Anything but our own verification error (a TypeError, a RangeError...) is a crash.
    if (!(err instanceof SztpVerificationError)) throw err;
    return { accepted: false, why: `${err.code}: ${err.message}` };
  }
}

/**
 * Where pkijs (with asn1js) accepts what the standards forbid, the reference refuses by the rule
 * pkijs skips, checked on pkijs's own decoding of the same input. Each rule is one a verifier must
 * apply; each was seen to decide real mutated inputs. Returns the reason, or undefined.
 */
const RULES: readonly [string, (signedData: pkijs.SignedData, raw: RawParts) => boolean][] = [
  // The SZTP verification contract (RFC 8572 3.1, 3.3): encapsulated content of an expected
  // type, one signer.
  ['profile: eContentType', (sd) => ALLOWED.includes(sd.encapContentInfo.eContentType)],
  ['profile: encapsulated content', (sd) => sd.encapContentInfo.eContent !== undefined],
  ['profile: one signer', (sd) => sd.signerInfos.length === 1],
  // RFC 5652 5.1/5.3: SignedData version is 1, 3, 4 or 5; SignerInfo version 1 goes with
  // issuerAndSerialNumber, 3 with subjectKeyIdentifier. pkijs reads the versions and ignores them.
  ['RFC 5652 5.1 SignedData version', (sd) => [1, 3, 4, 5].includes(sd.version)],
  [
    'RFC 5652 5.3 SignerInfo version',
    (sd) =>
      sd.signerInfos[0]!.version === (sd.signerInfos[0]!.sid instanceof pkijs.IssuerAndSerialNumber ? 1 : 3),
  ],
  // RFC 5652 5.3 and 11.1: signed attributes hold exactly one content-type attribute, with exactly
  // one value, an OBJECT IDENTIFIER equal to eContentType. pkijs checks only that one is present.
  [
    'RFC 5652 11.1 content-type attribute',
    (sd) => {
      const attrs = sd.signerInfos[0]!.signedAttrs?.attributes;
      if (attrs === undefined) return true;
      const found = attrs.filter((a) => a.type === Oid.contentTypeAttr);
      const value = found[0]?.values;
      return (
        found.length === 1 &&
        value?.length === 1 &&
        value[0] instanceof asn1js.ObjectIdentifier &&
        value[0].valueBlock.toString() === sd.encapContentInfo.eContentType
      );
    },
  ],
  // RFC 5652 11.2: exactly one message-digest attribute with exactly one OCTET STRING value.
  // pkijs takes the bytes of the first value of the first one, whatever its type.
  [
    'RFC 5652 11.2 message-digest attribute',
    (sd) => {
      const attrs = sd.signerInfos[0]!.signedAttrs?.attributes;
      if (attrs === undefined) return true;
      const found = attrs.filter((a) => a.type === Oid.messageDigestAttr);
      const value = found[0]?.values;
      return found.length === 1 && value?.length === 1 && value[0] instanceof asn1js.OctetString;
    },
  ],
  // RFC 5652 5.3: signed attributes may be left out only when eContentType is id-data.
  [
    'RFC 5652 5.3 signed attributes required',
    (sd) => sd.signerInfos[0]!.signedAttrs !== undefined || sd.encapContentInfo.eContentType === Oid.data,
  ],
  // RFC 4055 3.1 / RFC 8017 9.1.2: an RSASSA-PSS signature is checked with the MGF its
  // parameters name. WebCrypto knows only MGF1 with the message hash, and pkijs verifies with that
  // whatever the parameters say (so a signature is accepted under parameters that do not describe
  // it). Our verifier refuses parameters it cannot honour.
  [
    'RFC 4055 3.1 RSASSA-PSS maskGenAlgorithm',
    (sd) => {
      const algorithm = sd.signerInfos[0]!.signatureAlgorithm;
      if (algorithm.algorithmId !== Oid.rsassaPss) return true;
      try {
        const params = new pkijs.RSASSAPSSParams({ schema: algorithm.algorithmParams });
        return (
          params.maskGenAlgorithm.algorithmId === Oid.mgf1 &&
          new pkijs.AlgorithmIdentifier({ schema: params.maskGenAlgorithm.algorithmParams }).algorithmId ===
            params.hashAlgorithm.algorithmId
        );
      } catch {
        return false;
      }
    },
  ],
  // RFC 5753 2.1.1 / RFC 3279 2.2.3: an ECDSA signature value is the DER of
  // Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }. pkijs converts it to r||s reading the
  // two values' bytes whatever their tags (an ENUMERATED s passes).
  [
    'RFC 5753 2.1.1 ECDSA signature value',
    (sd) => {
      const signerInfo = sd.signerInfos[0]!;
      if (!signerInfo.signatureAlgorithm.algorithmId.startsWith('1.2.840.10045.4.3.')) return true;
      const value = signerInfo.signature.valueBlock.valueHexView;
      const decoded = asn1js.fromBER(value);
      // Tags checked as numbers: asn1js's Enumerated is a subclass of its Integer, and a
      // primitive [UNIVERSAL 16] decodes as its Sequence.
      const tag = (b: asn1js.AsnType, number: number, constructed: boolean) =>
        b.idBlock.tagClass === 1 && b.idBlock.tagNumber === number && b.idBlock.isConstructed === constructed;
      return (
        decoded.offset === value.length &&
        tag(decoded.result, 16, true) &&
        (decoded.result as asn1js.Sequence).valueBlock.value.length === 2 &&
        (decoded.result as asn1js.Sequence).valueBlock.value.every((v) => tag(v, 2, false)) &&
        Buffer.from(decoded.result.toBER()).equals(value)
      );
    },
  ],
  // X.690 8.1.1, 8.1.3: a constructed encoding's contents are exactly the complete encodings of its
  // components, and an indefinite one ends with end-of-contents. asn1js lets a component run past
  // the end of the element holding it (it bounds reads by the whole input only), takes a missing
  // end-of-contents as a warning, and pkijs's fromBER ignores bytes after the ContentInfo.
  ['X.690 8.1 element lengths', (_sd, raw) => raw.wellFormed],
  // RFC 5652 3, 5.1-5.3: ContentInfo, SignedData, EncapsulatedContentInfo and SignerInfo have no
  // extension marker, so no components beyond those listed. pkijs's schemas ignore trailing ones.
  ['RFC 5652 no extra components', (_sd, raw) => raw.noExtraComponents],
  // RFC 5754 2 (and its ASN.1 in RFC 5912): SHA-2 AlgorithmIdentifiers have absent or NULL
  // parameters. pkijs reads digest algorithms' parameters as ANY and ignores them.
  [
    'RFC 5754 2 digest algorithm parameters',
    (sd) =>
      [...sd.digestAlgorithms, sd.signerInfos[0]!.digestAlgorithm].every((algorithm) => {
        const params = algorithm.algorithmParams as asn1js.AsnType | undefined;
        if (!SHA2.has(algorithm.algorithmId) || params === undefined) return true;
        return (
          params.idBlock.tagClass === 1 &&
          params.idBlock.tagNumber === 5 &&
          !params.idBlock.isConstructed &&
          params.lenBlock.length === 0
        );
      }),
  ],
  // RFC 5280 4.1: a certificate is DER. pkijs's Certificate schema skips components it does not
  // expect (a second extensions field, a trailing element, an extra INTEGER in [0] version) and
  // asn1js accepts BER lengths, so the reference re-encodes pkijs's decoding of every carried
  // certificate and requires the same bytes (DER has one encoding per value).
  ['RFC 5280 4.1 certificates are DER', (_sd, raw) => raw.certificatesDer],
  // X.501 / RFC 5280 4.1.2.4: AttributeTypeAndValue ::= SEQUENCE { type, value }, and the
  // attributes in these names (X.520 naming attributes, RFC 5280 appendix A) take DirectoryString
  // values. pkijs ignores further components and takes any value (a BOOLEAN, a context tag), then
  // matches the signer identifier by the names' values; OpenSSL, which our verifier decodes
  // certificates with, refuses such a name.
  [
    'RFC 5280 4.1.2.4 AttributeTypeAndValue',
    (sd) => {
      const sid = sd.signerInfos[0]!.sid;
      return !(sid instanceof pkijs.IssuerAndSerialNumber) || twoPartAvas(sid.issuer);
    },
  ],
];

function twoPartAvas(name: pkijs.RelativeDistinguishedNames): boolean {
  const decoded = asn1js.fromBER(name.valueBeforeDecode);
  if (decoded.offset === -1 || !(decoded.result instanceof asn1js.Sequence)) return false;
  return decoded.result.valueBlock.value.every(
    (rdn) =>
      rdn instanceof asn1js.Set &&
      rdn.valueBlock.value.every(
        (ava) =>
          ava instanceof asn1js.Sequence &&
          ava.valueBlock.value.length === 2 &&
          ava.valueBlock.value[1]!.idBlock.tagClass === 1 &&
          !ava.valueBlock.value[1]!.idBlock.isConstructed &&
          DIRECTORY_STRING_TAGS.has(ava.valueBlock.value[1]!.idBlock.tagNumber),
      ),
  );
}

const SHA2 = new Set<string>([Oid.sha256, Oid.sha384, Oid.sha512]);

/** DirectoryString's choices (RFC 5280 4.1.2.4) plus IA5String (emailAddress, domainComponent). */
const DIRECTORY_STRING_TAGS = new Set([12, 19, 20, 22, 28, 30]);

/** What our verifier reads of the four extensions it uses (RFC 5280 4.2.1.1-3, 4.2.1.9). */
const EXTENSION_TYPES: Record<string, (value: asn1js.AsnType, parsed: unknown) => boolean> = {
  '2.5.29.19': (_v, parsed) => parsed instanceof pkijs.BasicConstraints && !('parsingError' in parsed),
  '2.5.29.35': (_v, parsed) => parsed instanceof pkijs.AuthorityKeyIdentifier && !('parsingError' in parsed),
  // X.690 11.2.1: in DER the unused bits of a BIT STRING are zero (asn1js keeps whatever is there).
  '2.5.29.15': (value) => {
    if (!(value instanceof asn1js.BitString)) return false;
    const bits = value.valueBlock.valueHexView;
    const unused = value.valueBlock.unusedBits;
    return unused === 0 || (bits.length > 0 && (bits[bits.length - 1]! & ((1 << unused) - 1)) === 0);
  },
  '2.5.29.14': (value) => value instanceof asn1js.OctetString && !value.idBlock.isConstructed,
};

function profileRefusal(signedData: pkijs.SignedData, raw: RawParts): string | undefined {
  for (const [rule, holds] of RULES) if (!holds(signedData, raw)) return rule;
  return undefined;
}

interface RawParts {
  readonly wellFormed: boolean;
  readonly noExtraComponents: boolean;
  readonly certificatesDer: boolean;
}

/** Checks asn1js's decoded tree against X.690 8.1 (see RULES). */
function asn1jsWellFormed(block: asn1js.AsnType): boolean {
  const b = block as unknown as {
    idBlock: { isConstructed: boolean };
    lenBlock: { isIndefiniteForm: boolean; length: number };
    valueBlock: { value?: asn1js.AsnType[]; warnings: string[] };
    blockLength: number;
  };
  if (!b.idBlock.isConstructed || !Array.isArray(b.valueBlock.value)) return true;
  const children = b.valueBlock.value;
  if (b.lenBlock.isIndefiniteForm) {
    if (b.valueBlock.warnings.includes('No EndOfContent block encoded')) return false;
  } else {
    const sum = children.reduce((n, c) => n + (c as unknown as { blockLength: number }).blockLength, 0);
    if (sum !== b.lenBlock.length) return false;
  }
  return children.every(asn1jsWellFormed);
}

function certificatesWellFormed(signedDataBlock: asn1js.AsnType, signedData: pkijs.SignedData): boolean {
  const fields = (signedDataBlock as asn1js.Sequence).valueBlock.value;
  const set = fields.find((f) => f.idBlock.tagClass === 3 && f.idBlock.tagNumber === 0) as
    asn1js.Constructed | undefined;
  const choices = set?.valueBlock.value ?? [];
  for (const [index, choice] of choices.entries()) {
    const certificate = signedData.certificates?.[index];
    if (!(certificate instanceof pkijs.Certificate)) continue; // other CertificateChoices
    const raw = choice.valueBeforeDecodeView;
    try {
      if (!Buffer.from(certificate.toSchema(true).toBER()).equals(raw)) return false;
      if (!twoPartAvas(certificate.issuer) || !twoPartAvas(certificate.subject)) return false;
      // RFC 3279 2.3.1 / RFC 5480 2.1.1: the key's AlgorithmIdentifier has NULL parameters for
      // rsaEncryption and a curve OID for id-ecPublicKey. pkijs takes any value (an empty
      // BOOLEAN, itself no valid BER per X.690 8.2.1); OpenSSL refuses the certificate.
      const keyAlgorithm = certificate.subjectPublicKeyInfo.algorithm;
      const keyParams = keyAlgorithm.algorithmParams as asn1js.AsnType | undefined;
      if (keyAlgorithm.algorithmId === Oid.rsaEncryption && !(keyParams instanceof asn1js.Null)) return false;
      if (keyAlgorithm.algorithmId === Oid.ecPublicKey && !(keyParams instanceof asn1js.ObjectIdentifier))
        return false;
      // RFC 5280 4.1.2.1: v1, v2 or v3, and v3 when there are extensions. pkijs keeps any number.
      if (certificate.version > 2 || (certificate.extensions !== undefined && certificate.version !== 2))
        return false;
      // RFC 5280 4.2: each extension at most once, and its extnValue the DER encoding of the
      // extension's type (pkijs keeps a value of the wrong type as undecoded ASN.1).
      const extensions = certificate.extensions ?? [];
      if (new Set(extensions.map((e) => e.extnID)).size !== extensions.length) return false;
      for (const extension of extensions) {
        const check = EXTENSION_TYPES[extension.extnID];
        if (check === undefined) continue;
        const value = extension.extnValue.valueBlock.valueHexView;
        const decoded = asn1js.fromBER(value);
        if (decoded.offset !== value.length || !Buffer.from(decoded.result.toBER()).equals(value))
          return false;
        if (!check(decoded.result, extension.parsedValue)) return false;
      }
    } catch {
      return false;
    }
  }
  return true;
}

function componentCounts(contentInfo: asn1js.AsnType): boolean {
  const children = (block: asn1js.AsnType | undefined) =>
    (block as asn1js.Constructed | undefined)?.valueBlock.value ?? [];
  const has = (list: asn1js.AsnType[], tagNumber: number) =>
    list.some((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === tagNumber) ? 1 : 0;
  const ci = children(contentInfo);
  const sd = children(children(ci[1])[0]);
  const encap = children(sd[2]);
  const signerInfos = children(sd.at(-1));
  // AlgorithmIdentifier ::= SEQUENCE { algorithm, parameters OPTIONAL } (RFC 5280 4.1.1.2).
  const algorithms = [...children(sd[1]), ...signerInfos.map((si) => children(si)[2])];
  return (
    ci.length === 2 &&
    sd.length === 4 + has(sd, 0) + has(sd, 1) &&
    encap.length <= 2 &&
    signerInfos.every((si) => children(si).length === 5 + has(children(si), 0) + has(children(si), 1)) &&
    algorithms.every((algorithm) => children(algorithm).length <= 2)
  );
}

const parsedPinned = new WeakMap<Uint8Array, pkijs.Certificate>();
function pkijsCertificate(der: Uint8Array): pkijs.Certificate {
  let certificate = parsedPinned.get(der);
  if (certificate === undefined) parsedPinned.set(der, (certificate = pkijs.Certificate.fromBER(der)));
  return certificate;
}

async function reference(sample: Uint8Array, pinned: readonly Uint8Array[]): Promise<Verdict> {
  let signedData: pkijs.SignedData;
  let raw: RawParts;
  try {
    // No speculative decoding of OCTET/BIT STRING contents (pkijs decodes what it needs itself).
    const decoded = asn1js.fromBER(sample, { parseEmbedded: false });
    if (decoded.offset === -1) return { accepted: false, why: `asn1js: ${decoded.result.error}` };
    const contentInfo = new pkijs.ContentInfo({ schema: decoded.result });
    if (contentInfo.contentType !== Oid.signedData) return { accepted: false, why: 'not SignedData' };
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
    raw = {
      wellFormed: decoded.offset === sample.length && asn1jsWellFormed(decoded.result),
      certificatesDer: certificatesWellFormed(contentInfo.content, signedData),
      noExtraComponents: componentCounts(decoded.result),
    };
  } catch (err) {
    return { accepted: false, why: `pkijs parse: ${(err as Error).message}` };
  }
  const refusal = profileRefusal(signedData, raw);
  if (refusal !== undefined) return { accepted: false, why: refusal };
  try {
    // X.690 8.1.3.5: BER lets a length take more octets than it needs, so the serial number
    // INTEGER of the signer identifier is compared by value. pkijs's lookup (asn1js
    // Integer.isEqual) fails on a long-form length; give it the same INTEGER in DER.
    const sid = signedData.signerInfos[0]!.sid;
    if (sid instanceof pkijs.IssuerAndSerialNumber) {
      sid.serialNumber = new asn1js.Integer({ valueHex: sid.serialNumber.valueBlock.valueHexView });
    }
    signedData.certificates = [...pinned.map(pkijsCertificate), ...(signedData.certificates ?? [])];
    const result = (await signedData.verify({ signer: 0, checkChain: false, extendedMode: true })) as {
      signatureVerified: boolean;
      signerCertificate: pkijs.Certificate;
    };
    if (!result.signatureVerified) return { accepted: false, why: 'pkijs: signature does not verify' };
    // RFC 3370 3.2, RFC 5753 2.1.1: signatureAlgorithm names the algorithm of the signer's key.
    // For rsaEncryption pkijs verifies with whatever algorithm the certificate's key has, so an
    // ECDSA signature labelled rsaEncryption passes.
    const keyAlgorithm = result.signerCertificate.subjectPublicKeyInfo.algorithm.algorithmId;
    const signatureAlgorithm = signedData.signerInfos[0]!.signatureAlgorithm.algorithmId;
    const rsa = signatureAlgorithm.startsWith('1.2.840.113549.1.1.');
    if (rsa !== (keyAlgorithm === Oid.rsaEncryption || keyAlgorithm === Oid.rsassaPss))
      return { accepted: false, why: 'RFC 3370 3.2 signature algorithm of the key' };
  } catch (err) {
    return { accepted: false, why: `pkijs verify: ${(err as Error).message}` };
  }
  const eContent = signedData.encapContentInfo.eContent!;
  return { accepted: true, content: Buffer.from(eContent.getValue()).toString('hex') };
}

// ---------------------------------------------------------------------------------------------
// Mutations.

function locateSignerInfo(
  root: Node,
): { signerInfo: Node; attrs?: Node; signature: Node; content?: Node; digest?: Node } | undefined {
  const signedData = root.children?.[1]?.children?.[0];
  const signerInfo = signedData?.children?.at(-1)?.children?.[0];
  if (signedData?.children === undefined || signerInfo?.children === undefined) return undefined;
  const attrs = signerInfo.children.find((c) => c.id.length === 1 && c.id[0] === 0xa0);
  const octetStrings = signerInfo.children.filter((c) => c.id.length === 1 && c.id[0] === 0x04);
  const signature = octetStrings.at(-1);
  if (signature === undefined) return undefined;
  const content = signedData.children[2]?.children?.[1]?.children?.[0];
  let digest: Node | undefined;
  for (const attr of attrs?.children ?? []) {
    const [type, values] = attr.children ?? [];
    if (type?.content && Buffer.from(type.content).equals(Buffer.from(oidContent(Oid.messageDigestAttr))))
      digest = values?.children?.[0];
  }
  return {
    signerInfo,
    ...(attrs ? { attrs } : {}),
    signature,
    ...(content ? { content } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** Recomputes the signature over the (possibly mutated) signed attributes, or the content. */
function resign(root: Node, identity: Identity): boolean {
  const found = locateSignerInfo(root);
  if (found === undefined) return false;
  let signed: Uint8Array;
  if (found.attrs) {
    const der = encodeNode({ ...found.attrs, length: undefined });
    signed = Uint8Array.from(der);
    signed[0] = 0x31;
  } else if (found.content?.content) {
    signed = found.content.content;
  } else return false;
  found.signature.content = new Uint8Array(nodeSign(identity.hash, signed, identity.key as never));
  return true;
}

interface MutationContext {
  readonly rng: Rng;
  readonly identities: readonly Identity[];
}

type Mutation = (bytes: Uint8Array, sample: Sample, ctx: MutationContext) => Uint8Array;

const bitFlip: Mutation = (bytes, _s, { rng }) => {
  const out = Uint8Array.from(bytes);
  for (let i = 0, n = 1 + rng.int(3); i < n; i++) out[rng.int(out.length)]! ^= 1 << rng.int(8);
  return out;
};

const truncate: Mutation = (bytes, _s, { rng }) => bytes.slice(0, rng.int(bytes.length));

/** Mutates the tree; `andResign` re-signs so the change reaches the semantic checks. */
function treeMutation(edit: (root: Node, rng: Rng) => boolean, resignChance: number): Mutation {
  return (bytes, sample, ctx) => {
    const tree = parseTree(bytes);
    if (tree?.length !== 1) return bitFlip(bytes, sample, ctx);
    const root = tree[0]!;
    if (!edit(root, ctx.rng)) return bitFlip(bytes, sample, ctx);
    if (sample.signer && ctx.rng.next() < resignChance) {
      // Mostly the right key (the change then meets the semantic checks), sometimes another.
      const key = ctx.rng.next() < 0.8 ? sample.signer : ctx.rng.pick(ctx.identities);
      if (key.algorithm === sample.signer.algorithm) resign(root, key);
    }
    return encodeNode(root);
  };
}

const lengthEdit = treeMutation((root, rng) => {
  const { node } = rng.pick(allNodes(root));
  const roll = rng.int(4);
  node.length =
    roll === 0
      ? { kind: 'long-form' }
      : roll === 1 && node.constructed
        ? { kind: 'indefinite' }
        : { kind: 'delta', delta: rng.pick([-2, -1, 1, 2, 128]) };
  return true;
}, 0.3);

const swapOrDuplicate = treeMutation((root, rng) => {
  const parents = allNodes(root).filter(({ node }) => (node.children?.length ?? 0) > 0);
  const { node } = rng.pick(parents);
  const children = node.children!;
  const i = rng.int(children.length);
  const roll = rng.int(3);
  if (roll === 0 && children.length > 1) {
    let j = rng.int(children.length);
    if (j === i) j = (i + 1) % children.length;
    [children[i], children[j]] = [children[j]!, children[i]!];
  } else if (roll === 1) {
    children.splice(i, 0, structuredClone(children[i]!));
  } else {
    children.splice(i, 1);
  }
  return true;
}, 0.6);

const wrongOid = treeMutation((root, rng) => {
  const oids = allNodes(root).filter(({ node }) => node.id.length === 1 && node.id[0] === 0x06);
  if (oids.length === 0) return false;
  rng.pick(oids).node.content = oidContent(rng.pick(OTHER_OIDS));
  return true;
}, 0.7);

const retag = treeMutation((root, rng) => {
  const { node } = rng.pick(allNodes(root).slice(1));
  const id = node.id[0]!;
  const options = node.constructed
    ? [0x30, 0x31, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0x24, 0x20 | (id & 0x1f), 0x60 | (id & 0x1f)]
    : [0x02, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x17, 0x18, 0x80, 0x81, 0x82, 0x03, 0x01];
  node.id = Uint8Array.of(rng.pick(options));
  return true;
}, 0.5);

/** New content with a matching messageDigest (and a fresh signature): must be accepted with it. */
const replaceContent = treeMutation((root, rng) => {
  const found = locateSignerInfo(root);
  if (found?.content?.content === undefined || found.digest?.content === undefined) return false;
  const content = Buffer.from(`{"replaced":${rng.int(1_000_000)}}`);
  const algorithm =
    found.digest.content.length === 48 ? 'sha384' : found.digest.content.length === 64 ? 'sha512' : 'sha256';
  found.content.content = content;
  found.digest.content = createHash(algorithm).update(content).digest();
  return true;
}, 1);

/** A signature by another key, optionally with that key's certificate in place of the signer's. */
const otherKey: Mutation = (bytes, sample, ctx) => {
  const tree = parseTree(bytes);
  if (tree?.length !== 1 || sample.signer === undefined) return bitFlip(bytes, sample, ctx);
  const other = ctx.rng.pick(ctx.identities.filter((i) => i.algorithm === sample.signer!.algorithm));
  resign(tree[0]!, other);
  return encodeNode(tree[0]!);
};

const MUTATIONS: readonly [string, Mutation, number][] = [
  ['bit flip', bitFlip, 3],
  ['truncation', truncate, 1],
  ['length edit', lengthEdit, 2],
  ['swap/duplicate/remove', swapOrDuplicate, 2],
  ['wrong OID', wrongOid, 2],
  ['re-tag', retag, 1],
  ['new content, digest fixed', replaceContent, 1],
  ['re-signed with another key', otherKey, 1],
];

function pickMutation(rng: Rng): [string, Mutation] {
  const total = MUTATIONS.reduce((s, [, , w]) => s + w, 0);
  let roll = rng.next() * total;
  for (const [name, mutation, weight] of MUTATIONS) {
    roll -= weight;
    if (roll < 0) return [name, mutation];
  }
  return [MUTATIONS[0]![0], MUTATIONS[0]![1]];
}

// ---------------------------------------------------------------------------------------------

const FIXTURES = new URL('../../../../../test/fixtures/sztp/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const base64File = (name: string) => new Uint8Array(Buffer.from(fixture(name).replace(/\s+/g, ''), 'base64'));

let samples: Sample[];
let identities: Identity[];

async function identity(
  name: string,
  algorithm: CmsSignatureAlgorithm,
  keyAlgorithm: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm,
  issuer?: TestIdentity,
): Promise<Identity> {
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm as webcrypto.EcKeyGenParams, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const id = await issueCertificate({
    subject: `CN=${name}`,
    keys,
    algorithm: { ...keyAlgorithm, hash: 'SHA-256' } as unknown as webcrypto.Algorithm,
    ...(issuer ? { issuer } : {}),
  });
  const key = id.privateKey;
  const digest = algorithm === 'ed25519' ? null : algorithm.slice(algorithm.lastIndexOf('-') + 1);
  const signKey = algorithm.startsWith('rsa-pss')
    ? { key, padding: 6, saltLength: digest === 'sha384' ? 48 : 32 }
    : algorithm.startsWith('ecdsa')
      ? { key, dsaEncoding: 'der' as const }
      : key;
  return { name, id, algorithm, hash: digest, key: signKey };
}

beforeAll(async () => {
  const ca = await issueCertificate({ subject: 'CN=Differential CA', ca: true });
  const rsa = {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: Uint8Array.of(1, 0, 1),
    hash: 'SHA-256',
  };
  identities = [
    await identity('P-256 A', 'ecdsa-sha256', { name: 'ECDSA', namedCurve: 'P-256' }, ca),
    await identity('P-256 B', 'ecdsa-sha256', { name: 'ECDSA', namedCurve: 'P-256' }, ca),
    await identity('P-384', 'ecdsa-sha384', { name: 'ECDSA', namedCurve: 'P-384' }, ca),
    await identity('RSA A', 'rsa-pkcs1-sha256', rsa, ca),
    await identity('RSA B', 'rsa-pkcs1-sha256', rsa, ca),
  ];
  const [p256a, , p384, rsaA] = identities as [Identity, Identity, Identity, Identity];
  // RSA-PSS with the same RSA key (the certificate is rsaEncryption, as RFC 4056 allows).
  const pss: Identity = {
    ...rsaA,
    name: 'RSA-PSS',
    algorithm: 'rsa-pss-sha256',
    key: { key: rsaA.id.privateKey, padding: 6, saltLength: 32 },
  };
  identities.push(pss);

  const ours = (identity: Identity): CmsSigner =>
    keyObjectSigner(identity.id.certificate, identity.id.privateKey, identity.algorithm);
  const json = new TextEncoder().encode(encodeConveyedInformation(info, 'json'));
  const xml = new TextEncoder().encode(encodeConveyedInformation(info, 'xml'));
  const voucher = new TextEncoder().encode(
    encodeVoucherJson({
      assertion: 'verified',
      createdOn: '2025-06-01T00:00:00Z',
      serialNumber: 'SN-1',
      pinnedDomainCert: p256a.id.certificate,
    }),
  );
  samples = [];
  for (const signer of identities) {
    samples.push({
      name: `ours ${signer.name} conveyed-info json`,
      bytes: await signCms(json, Oid.sztpConveyedInfoJson, ours(signer)),
      pinned: [],
      signer,
    });
  }
  samples.push(
    {
      name: 'ours P-256 conveyed-info xml, signing time',
      bytes: await signCms(xml, Oid.sztpConveyedInfoXml, ours(p256a), {
        signingTime: new Date('2025-06-01T00:00:00Z'),
      }),
      pinned: [],
      signer: p256a,
    },
    {
      name: 'ours P-384 voucher, no certificates (pinned)',
      bytes: await signCms(voucher, Oid.animaJsonVoucher, ours(p384), { certificates: [] }),
      pinned: [p384.id.certificate],
      signer: p384,
    },
    {
      name: 'ours RSA voucher id-data with chain',
      bytes: await signCms(voucher, Oid.data, ours(rsaA), {
        certificates: [rsaA.id.certificate, identities[4]!.id.certificate],
      }),
      pinned: [],
      signer: rsaA,
    },
    {
      name: 'pkijs P-256 conveyed-info json',
      bytes: await pkijsSign(p256a, json, Oid.sztpConveyedInfoJson, 'SHA-256'),
      pinned: [],
      signer: p256a,
    },
    {
      name: 'pkijs P-384 voucher',
      bytes: await pkijsSign(p384, voucher, Oid.animaJsonVoucher, 'SHA-384'),
      pinned: [],
      signer: p384,
    },
    {
      name: 'pkijs RSA voucher id-data',
      bytes: await pkijsSign(rsaA, voucher, Oid.data, 'SHA-256'),
      pinned: [],
      signer: rsaA,
    },
    {
      name: 'anima-wg voucher (fixture)',
      bytes: base64File('anima-voucher/voucher_00-D0-E5-F2-00-02.b64'),
      pinned: [],
    },
    {
      name: 'open-sztp ownership voucher (fixture)',
      bytes: base64File('open-sztp/12345-ownershipVoucher.base64'),
      pinned: [],
    },
  );
}, 60_000);

describe('CMS SignedData: our verifier against pkijs', () => {
  it('accepts every valid sample, as pkijs does, with the same content', async () => {
    for (const sample of samples) {
      const mine = ours(sample.bytes, sample.pinned);
      const theirs = await reference(sample.bytes, sample.pinned);
      expect({ sample: sample.name, ...mine }).toEqual({ sample: sample.name, ...theirs });
      expect(mine.accepted, sample.name).toBe(true);
    }
  });

  it(`gives pkijs's answer on ${MUTATED_INPUTS} seeded mutations`, async () => {
    const rng = prng(SEED);
    const ctx: MutationContext = { rng, identities };
    const disagreements: string[] = [];
    const tally: Record<string, { accepted: number; rejected: number }> = {};
    for (let i = 0; i < MUTATED_INPUTS; i++) {
      const sample = samples[i % samples.length]!;
      let bytes = sample.bytes;
      const applied: string[] = [];
      for (let n = 0, count = 1 + (rng.next() < 0.2 ? 1 : 0); n < count; n++) {
        const [name, mutation] = pickMutation(rng);
        bytes = mutation(bytes, sample, ctx);
        applied.push(name);
      }
      const mine = ours(bytes, sample.pinned);
      const theirs = await reference(bytes, sample.pinned);
      const key = applied.join(' + ');
      tally[key] ??= { accepted: 0, rejected: 0 };
      tally[key][mine.accepted ? 'accepted' : 'rejected']++;
      const same =
        mine.accepted === theirs.accepted &&
        (!mine.accepted || mine.content === (theirs as { content: string }).content);
      if (!same) {
        disagreements.push(
          `#${i} ${sample.name} [${key}]\n  ours:  ${mine.accepted ? 'accept' : mine.why}\n  pkijs: ${
            theirs.accepted ? 'accept' : theirs.why
          }\n  input: ${Buffer.from(bytes).toString('hex')}`,
        );
      }
    }
    // CMS_DIFF_OUT=<file> writes every disagreement (with its input in hex) for a closer look.
    const out = process.env['CMS_DIFF_OUT'];
    if (out) writeFileSync(out, disagreements.join('\n'));
    expect(disagreements.slice(0, 5).join('\n'), `${disagreements.length} disagreements`).toBe('');
    // The mutations reach both answers: many mutated inputs are still valid (BER re-encodings,
    // re-signed changes, replaced content), most are not.
    const accepted = Object.values(tally).reduce((n, t) => n + t.accepted, 0);
    expect(accepted).toBeGreaterThan(MUTATED_INPUTS / 20);
    expect(accepted).toBeLessThan(MUTATED_INPUTS / 2);
  }, 600_000); // ~65-90 s alone on a loaded 2-core machine (most of it in pkijs); 240 s seen with two at once
});

import { decodeBinary, encodeBinary } from './binary';
import { csrInputMembers, readCsrMembers, type CsrSubmission, type CsrSupport } from './csr';
import { SztpPayloadError } from './errors';
import { PROGRESS_TYPES, type ProgressType } from './progress-type';
import { bodyText } from './text';
import { Modules } from './yang/modules';
import { readDocument, type Encoding, type ReadOptions, type YangReader } from './yang/reader';
import { EMPTY, toJson, toXml, y, type YangMember } from './yang/tree';

/**
 * The two RESTCONF RPCs of the ietf-sztp-bootstrap-server module (RFC 8572 section 7.2):
 * `get-bootstrapping-data` (input and output) and `report-progress` (input; success is 204).
 */
const M = Modules.bootstrapServer;

export interface GetBootstrappingDataInput {
  /** The device wants signed data (it considers this server untrusted). */
  readonly signedDataPreferred: boolean;
  readonly hwModel?: string;
  readonly osName?: string;
  readonly osVersion?: string;
  /** 16..32 bytes. An empty value (the OPI sztp-agent always sends `"nonce": ""`) reads as absent. */
  readonly nonce?: Uint8Array;
  /** RFC 9646: the device can generate a CSR. */
  readonly csrSupport?: CsrSupport;
  /** RFC 9646: the device sends its CSR. */
  readonly csr?: CsrSubmission;
}

export type ReportingLevel = 'minimal' | 'verbose';

export interface GetBootstrappingDataOutput {
  /** Omit for OPI/fl-sztp agents: their decoder refuses unknown members. */
  readonly reportingLevel?: ReportingLevel;
  /** DER CMS (ContentInfo) holding the conveyed information. */
  readonly conveyedInformation: Uint8Array;
  /** DER certs-only CMS with the owner certificate chain; only with ownershipVoucher. */
  readonly ownerCertificate?: Uint8Array;
  /** DER CMS SignedData voucher; only with ownerCertificate. */
  readonly ownershipVoucher?: Uint8Array;
}

export interface SshHostKey {
  /** SSH public key algorithm name, e.g. `ssh-ed25519`. */
  readonly algorithm: string;
  /** RFC 4253 section 6.6 key blob. */
  readonly keyData: Uint8Array;
}

export interface ReportProgressInput {
  readonly progressType: ProgressType;
  readonly message?: string;
  /** Only with `bootstrap-complete`. */
  readonly sshHostKeys?: readonly SshHostKey[];
  /** DER certs-only CMS values; only with `bootstrap-complete`. Not validated as CMS here: the
   * OPI agent sends a placeholder (base64 of "mysshpass"). */
  readonly trustAnchorCerts?: readonly Uint8Array[];
}

const NONCE_MIN = 16;
const NONCE_MAX = 32;

function isBlank(body: string): boolean {
  return body.trim() === '';
}

/**
 * Parses a get-bootstrapping-data request body. An empty body is valid (an RPC without input).
 * The input wrapper may be `ietf-sztp-bootstrap-server:input` or plain `input` (JSON), and the XML
 * namespace may be missing or mis-cased. Unknown members fail unless `options.ignoreUnknown`.
 */
export function parseGetBootstrappingDataInput(
  body: string | Uint8Array,
  encoding: Encoding,
  options: ReadOptions = {},
): GetBootstrappingDataInput {
  const text = bodyText(body);
  if (isBlank(text)) return { signedDataPreferred: false };
  const { reader } = readDocument(text, encoding, M, ['input'], options);
  const signedDataPreferred = reader.empty('signed-data-preferred');
  const hwModel = reader.string('hw-model');
  const osName = reader.string('os-name');
  const osVersion = reader.string('os-version');
  const rawNonce = reader.string('nonce');
  let nonce: Uint8Array | undefined;
  if (rawNonce !== undefined && rawNonce.trim() !== '') {
    nonce = decodeBinary(rawNonce, `${reader.path}/nonce`);
    if (nonce.length < NONCE_MIN || nonce.length > NONCE_MAX) {
      throw new SztpPayloadError(
        'invalid-value',
        `${reader.path}/nonce`,
        `nonce is ${nonce.length} bytes; it must be ${NONCE_MIN}..${NONCE_MAX}`,
      );
    }
  }
  const { csrSupport, csr } = readCsrMembers(reader);
  reader.finish();
  return {
    signedDataPreferred,
    ...(hwModel !== undefined ? { hwModel } : {}),
    ...(osName !== undefined ? { osName } : {}),
    ...(osVersion !== undefined ? { osVersion } : {}),
    ...(nonce ? { nonce } : {}),
    ...(csrSupport ? { csrSupport } : {}),
    ...(csr ? { csr } : {}),
  };
}

function inputMember(input: GetBootstrappingDataInput): YangMember {
  if (input.nonce !== undefined && (input.nonce.length < NONCE_MIN || input.nonce.length > NONCE_MAX)) {
    throw new SztpPayloadError(
      'invalid-value',
      '/ietf-sztp-bootstrap-server:input/nonce',
      'nonce must be 16..32 bytes',
    );
  }
  return y.container(M, 'input', [
    y.leaf(M, 'signed-data-preferred', input.signedDataPreferred ? EMPTY : undefined),
    y.leaf(M, 'hw-model', input.hwModel),
    y.leaf(M, 'os-name', input.osName),
    y.leaf(M, 'os-version', input.osVersion),
    y.leaf(M, 'nonce', input.nonce && encodeBinary(input.nonce)),
    ...csrInputMembers(input.csrSupport, input.csr),
  ]);
}

/** Device side (simulator): the request body. */
export function serializeGetBootstrappingDataInput(
  input: GetBootstrappingDataInput,
  encoding: Encoding,
): string {
  const member = inputMember(input);
  return encoding === 'json' ? toJson(member) : toXml(member);
}

function outputMember(output: GetBootstrappingDataOutput): YangMember {
  // YANG: owner-certificate `must '../ownership-voucher'` and vice versa.
  if ((output.ownerCertificate === undefined) !== (output.ownershipVoucher === undefined)) {
    throw new SztpPayloadError(
      'invalid-value',
      '/ietf-sztp-bootstrap-server:output',
      'owner-certificate and ownership-voucher go together',
    );
  }
  return y.container(M, 'output', [
    y.leaf(M, 'reporting-level', output.reportingLevel),
    y.leaf(M, 'conveyed-information', encodeBinary(output.conveyedInformation)),
    y.leaf(M, 'owner-certificate', output.ownerCertificate && encodeBinary(output.ownerCertificate)),
    y.leaf(M, 'ownership-voucher', output.ownershipVoucher && encodeBinary(output.ownershipVoucher)),
  ]);
}

/** Server side: the 200 response body (`ietf-sztp-bootstrap-server:output`). */
export function serializeGetBootstrappingDataOutput(
  output: GetBootstrappingDataOutput,
  encoding: Encoding,
): string {
  const member = outputMember(output);
  return encoding === 'json' ? toJson(member) : toXml(member);
}

/** Device side (simulator): reads the 200 response body. */
export function parseGetBootstrappingDataOutput(
  body: string | Uint8Array,
  encoding: Encoding,
  options: ReadOptions = {},
): GetBootstrappingDataOutput {
  const { reader } = readDocument(bodyText(body), encoding, M, ['output'], options);
  const reportingLevel = reader.enumeration('reporting-level', ['minimal', 'verbose'] as const);
  const conveyedInformation = reader.binary('conveyed-information', { mandatory: true });
  const ownerCertificate = reader.binary('owner-certificate');
  const ownershipVoucher = reader.binary('ownership-voucher');
  reader.finish();
  if ((ownerCertificate === undefined) !== (ownershipVoucher === undefined)) {
    throw new SztpPayloadError(
      'missing-element',
      reader.path,
      'owner-certificate and ownership-voucher go together',
    );
  }
  return {
    ...(reportingLevel ? { reportingLevel } : {}),
    conveyedInformation,
    ...(ownerCertificate ? { ownerCertificate } : {}),
    ...(ownershipVoucher ? { ownershipVoucher } : {}),
  };
}

/**
 * `ssh-host-keys` and `trust-anchor-certs` exist only `when progress-type = 'bootstrap-complete'`.
 * The OPI agent's Go structs always serialise them as empty objects (`"ssh-host-keys": {}`), so an
 * empty container is accepted with any progress type; a non-empty one only with bootstrap-complete.
 */
function readWhenComplete<T>(
  reader: YangReader,
  container: string,
  complete: boolean,
  read: (node: YangReader) => T[],
): T[] | undefined {
  const node = reader.container(container);
  if (node === undefined) return undefined;
  const entries = read(node);
  node.finish();
  if (entries.length > 0 && !complete) {
    throw new SztpPayloadError(
      'unknown-element',
      node.path,
      'only allowed with progress-type bootstrap-complete',
    );
  }
  return entries.length > 0 ? entries : undefined;
}

/** Parses a report-progress request body. */
export function parseReportProgressInput(
  body: string | Uint8Array,
  encoding: Encoding,
  options: ReadOptions = {},
): ReportProgressInput {
  const text = bodyText(body);
  if (isBlank(text)) {
    throw new SztpPayloadError(
      'missing-element',
      '/ietf-sztp-bootstrap-server:input/progress-type',
      'is mandatory',
    );
  }
  const { reader } = readDocument(text, encoding, M, ['input'], options);
  const progressType = reader.enumeration('progress-type', PROGRESS_TYPES);
  if (progressType === undefined) {
    throw new SztpPayloadError('missing-element', `${reader.path}/progress-type`, 'is mandatory');
  }
  const message = reader.string('message');
  const complete = progressType === 'bootstrap-complete';
  const sshHostKeys = readWhenComplete(reader, 'ssh-host-keys', complete, (node) =>
    node.list('ssh-host-key').map((entry) => {
      const key = {
        algorithm: entry.string('algorithm', { mandatory: true }),
        keyData: entry.binary('key-data', { mandatory: true }),
      };
      entry.finish();
      return key;
    }),
  );
  const trustAnchorCerts = readWhenComplete(reader, 'trust-anchor-certs', complete, (node) =>
    node.binaryList('trust-anchor-cert'),
  );
  reader.finish();
  return {
    progressType,
    ...(message !== undefined ? { message } : {}),
    ...(sshHostKeys ? { sshHostKeys } : {}),
    ...(trustAnchorCerts ? { trustAnchorCerts } : {}),
  };
}

/** Device side (simulator): the report-progress request body. */
export function serializeReportProgressInput(input: ReportProgressInput, encoding: Encoding): string {
  const complete = input.progressType === 'bootstrap-complete';
  if (!complete && (input.sshHostKeys?.length || input.trustAnchorCerts?.length)) {
    throw new SztpPayloadError(
      'unknown-element',
      '/ietf-sztp-bootstrap-server:input',
      'ssh-host-keys and trust-anchor-certs only go with bootstrap-complete',
    );
  }
  const member = y.container(M, 'input', [
    y.leaf(M, 'progress-type', input.progressType),
    y.leaf(M, 'message', input.message),
    y.optionalContainer(M, 'ssh-host-keys', [
      y.list(
        M,
        'ssh-host-key',
        input.sshHostKeys?.map((key) => [
          y.leaf(M, 'algorithm', key.algorithm),
          y.leaf(M, 'key-data', encodeBinary(key.keyData)),
        ]),
      ),
    ]),
    y.optionalContainer(M, 'trust-anchor-certs', [
      y.leafList(M, 'trust-anchor-cert', input.trustAnchorCerts?.map(encodeBinary)),
    ]),
  ]);
  return encoding === 'json' ? toJson(member) : toXml(member);
}

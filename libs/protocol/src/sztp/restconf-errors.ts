import { csrRequestMember, readCsrRequest, type CsrRequest } from './csr';
import { SztpPayloadError, type RestconfErrorTag } from './errors';
import { bodyText } from './text';
import { moduleByName, Modules, type YangModule } from './yang/modules';
import { readDocument, type Encoding, type ReadOptions } from './yang/reader';
import { toJson, toXml, y, type YangMember } from './yang/tree';

/** One entry of an `ietf-restconf:errors` document (RFC 8040 section 7.1). */
export type RestconfErrorType = 'transport' | 'rpc' | 'protocol' | 'application';

export interface RestconfError {
  readonly errorType: RestconfErrorType;
  readonly errorTag: RestconfErrorTag;
  readonly errorAppTag?: string;
  /** Written as text; module names serve as prefixes. */
  readonly errorPath?: string;
  readonly errorMessage?: string;
  /** RFC 9646: the server's CSR request, carried in error-info. */
  readonly csrRequest?: CsrRequest;
}

const R = Modules.restconf;

/** HTTP status for an error-tag (RFC 8040 section 7, first listed code where several apply). */
export function restconfStatusForErrorTag(tag: RestconfErrorTag): number {
  switch (tag) {
    case 'in-use':
    case 'lock-denied':
    case 'resource-denied':
    case 'data-exists':
    case 'data-missing':
      return 409;
    case 'too-big':
      return 413;
    case 'access-denied':
      return 403;
    case 'operation-not-supported':
      return 501;
    case 'rollback-failed':
    case 'operation-failed':
    case 'partial-operation':
      return 500;
    default:
      return 400;
  }
}

/**
 * A RESTCONF error for a payload that failed to parse. The path is left out by default: the OPI
 * and fl-sztp agents decode errors with unknown members refused and only know error-type,
 * error-tag and error-message, so the path goes into the message instead.
 */
export function restconfErrorFromPayloadError(
  error: SztpPayloadError,
  options: { includePath?: boolean } = {},
): RestconfError {
  return {
    errorType: error.errorTag === 'malformed-message' ? 'rpc' : 'application',
    errorTag: error.errorTag,
    errorMessage: error.message,
    ...(options.includePath && error.path !== '' ? { errorPath: error.path } : {}),
  };
}

/** RFC 9646: the 400 answer to `csr-support` asking the device for a CSR. */
export function csrRequestError(request: CsrRequest, message = 'Missing input parameter'): RestconfError {
  return {
    errorType: 'application',
    errorTag: 'missing-attribute',
    errorMessage: message,
    csrRequest: request,
  };
}

/** error-path as an instance-identifier: the module-name prefixes it uses are declared in XML. */
function instanceIdentifier(path: string | undefined) {
  if (path === undefined) return undefined;
  const modules = [...path.matchAll(/([A-Za-z_][\w.-]*):/g)]
    .map((m) => moduleByName(m[1]!))
    .filter((m): m is YangModule => m !== undefined);
  return { path, modules: [...new Set(modules)] };
}

function errorsMember(errors: readonly RestconfError[]): YangMember {
  return y.container(R, 'errors', [
    y.list(
      R,
      'error',
      errors.map((error) => [
        y.leaf(R, 'error-type', error.errorType),
        y.leaf(R, 'error-tag', error.errorTag),
        y.leaf(R, 'error-app-tag', error.errorAppTag),
        y.leaf(R, 'error-path', instanceIdentifier(error.errorPath)),
        y.leaf(R, 'error-message', error.errorMessage),
        error.csrRequest && y.container(R, 'error-info', [csrRequestMember(error.csrRequest)]),
      ]),
    ),
  ]);
}

export function serializeRestconfErrors(errors: readonly RestconfError[], encoding: Encoding): string {
  const member = errorsMember(errors);
  return encoding === 'json' ? toJson(member) : toXml(member);
}

const ERROR_TYPES = ['transport', 'rpc', 'protocol', 'application'] as const;
const ERROR_TAGS: readonly RestconfErrorTag[] = [
  'in-use',
  'invalid-value',
  'too-big',
  'missing-attribute',
  'bad-attribute',
  'unknown-attribute',
  'missing-element',
  'bad-element',
  'unknown-element',
  'unknown-namespace',
  'access-denied',
  'lock-denied',
  'resource-denied',
  'rollback-failed',
  'data-exists',
  'data-missing',
  'operation-not-supported',
  'operation-failed',
  'partial-operation',
  'malformed-message',
];

/** Device side: reads an error response (e.g. to pick up an RFC 9646 csr-request). */
export function parseRestconfErrors(
  body: string | Uint8Array,
  encoding: Encoding,
  options: ReadOptions = {},
): RestconfError[] {
  const { reader } = readDocument(bodyText(body), encoding, R, ['errors'], options);
  const errors = reader.list('error', { mandatory: true }).map((entry): RestconfError => {
    const errorType = entry.enumeration('error-type', ERROR_TYPES);
    const errorTag = entry.enumeration('error-tag', ERROR_TAGS);
    if (errorType === undefined || errorTag === undefined) {
      throw new SztpPayloadError('missing-element', entry.path, 'error-type and error-tag are mandatory');
    }
    const errorAppTag = entry.string('error-app-tag');
    const errorPath = entry.string('error-path');
    const errorMessage = entry.string('error-message');
    const info = entry.container('error-info');
    const csrRequestNode = info?.container('csr-request', { module: Modules.sztpCsr });
    const csrRequest = csrRequestNode && readCsrRequest(csrRequestNode);
    info?.finish();
    entry.finish();
    return {
      errorType,
      errorTag,
      ...(errorAppTag !== undefined ? { errorAppTag } : {}),
      ...(errorPath !== undefined ? { errorPath } : {}),
      ...(errorMessage !== undefined ? { errorMessage } : {}),
      ...(csrRequest ? { csrRequest } : {}),
    };
  });
  reader.finish();
  return errors;
}

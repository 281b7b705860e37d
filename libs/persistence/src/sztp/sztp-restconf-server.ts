import { type ServerResponse } from 'node:http';
import { sztp } from '@ztp/protocol';
import {
  basicCredentials,
  GET_BOOTSTRAPPING_DATA,
  internalRestconfError,
  negotiateRestconf,
  REPORT_PROGRESS,
  RestconfRequestError,
  restconfBodyText,
  restconfErrorBody,
  restconfFailure,
  type Encoding,
} from './restconf-exchange';
import {
  type IdentifiedSztpDevice,
  type SztpCredentials,
  type SztpDeviceIdentifier,
} from './sztp-device-identifier';
import { type SztpProgressLog } from './sztp-progress-log';
import { type SztpServerRole } from './sztp-progress-event.entity';

/** One RESTCONF operation request, as the HTTP layer saw it. */
export interface RestconfOperationRequest {
  /** The last path segment, e.g. `ietf-sztp-bootstrap-server:get-bootstrapping-data`. */
  readonly operation: string;
  readonly contentType?: string;
  readonly accept?: string;
  readonly authorization?: string;
  /** Raw bytes (YANG media types), a parsed object (application/json) or nothing. */
  readonly body: unknown;
  readonly clientCertificate?: SztpCredentials['clientCertificate'];
  readonly remoteAddress?: string;
  readonly requestId?: string;
}

export interface RestconfResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What the hosting server contributes: its role and its get-bootstrapping-data answer. */
export interface SztpServerBehaviour {
  readonly role: SztpServerRole;
  getBootstrappingData(
    device: IdentifiedSztpDevice,
    input: sztp.GetBootstrappingDataInput,
  ): Promise<sztp.GetBootstrappingDataOutput>;
}

export interface SztpRestconfServerDeps {
  readonly identifier: SztpDeviceIdentifier;
  readonly progress: SztpProgressLog;
  readonly behaviour: SztpServerBehaviour;
  /** Logs what the device is told (refusals) and what it is not (internal errors). */
  readonly log: {
    refused(details: Record<string, unknown>, message: string): void;
    failed(err: unknown, details: Record<string, unknown>): void;
  };
}

/**
 * The RESTCONF operations of an SZTP server (RFC 8572 section 7.2), framework-free: negotiate the
 * media types, identify the device, parse the input, let the server answer, store progress. Every
 * refusal is an `ietf-restconf:errors` document, and nothing is stored for a refused request.
 */
export class SztpRestconfServer {
  constructor(private readonly deps: SztpRestconfServerDeps) {}

  async handle(request: RestconfOperationRequest): Promise<RestconfResponse> {
    let encoding: Encoding = sztp.encodingForMediaType(request.contentType) ?? 'json';
    let device: IdentifiedSztpDevice | undefined;
    try {
      const encodings = negotiateRestconf(request.contentType, request.accept);
      encoding = encodings.response;
      if (request.operation !== GET_BOOTSTRAPPING_DATA && request.operation !== REPORT_PROGRESS) {
        throw RestconfRequestError.of(404, 'invalid-value', `no operation ${request.operation} here`);
      }
      const basic = basicCredentials(request.authorization);
      device = await this.deps.identifier.identify({
        ...(request.clientCertificate ? { clientCertificate: request.clientCertificate } : {}),
        ...(basic ? { basic } : {}),
        ...(request.remoteAddress ? { source: request.remoteAddress } : {}),
      });
      const text = restconfBodyText(request.body);
      if (request.operation === GET_BOOTSTRAPPING_DATA) {
        const input = sztp.parseGetBootstrappingDataInput(text, encodings.request);
        const output = await this.deps.behaviour.getBootstrappingData(device, input);
        return {
          status: 200,
          headers: { 'Content-Type': sztp.mediaTypeFor(encoding) },
          body: serializedOutput(output, encoding),
        };
      }
      const input = sztp.parseReportProgressInput(text, encodings.request);
      await this.deps.progress.record({
        deviceId: device.deviceId,
        server: this.deps.behaviour.role,
        input,
        ...(request.remoteAddress ? { remoteAddress: request.remoteAddress } : {}),
      });
      return { status: 204, headers: {} };
    } catch (err) {
      const details = {
        operation: request.operation,
        serialNumber: device?.serialNumber,
        requestId: request.requestId,
      };
      let failure = restconfFailure(err);
      if (failure === undefined) {
        this.deps.log.failed(err, details);
        failure = internalRestconfError(request.requestId);
      } else if (failure.status >= 500) {
        this.deps.log.failed(err, details);
      } else {
        this.deps.log.refused(
          { ...details, status: failure.status, errorTag: failure.error.errorTag },
          failure.message,
        );
      }
      return {
        status: failure.status,
        headers: { 'Content-Type': sztp.mediaTypeFor(encoding), ...failure.headers },
        body: restconfErrorBody(failure, encoding),
      };
    }
  }
}

const serialized = new WeakMap<sztp.GetBootstrappingDataOutput, Partial<Record<Encoding, string>>>();

/** An answer's body, serialised once per answer object and encoding (answers are reused; see SztpAnswers). */
function serializedOutput(output: sztp.GetBootstrappingDataOutput, encoding: Encoding): string {
  let bodies = serialized.get(output);
  if (bodies === undefined) {
    bodies = {};
    serialized.set(output, bodies);
  }
  return (bodies[encoding] ??= sztp.serializeGetBootstrappingDataOutput(output, encoding));
}

/** Writes a RESTCONF response (or host-meta) to a Node response. */
export function writeRestconfResponse(res: ServerResponse, response: RestconfResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  if (response.body === undefined) {
    res.end();
    return;
  }
  const body = Buffer.from(response.body, 'utf8');
  res.setHeader('Content-Length', String(body.length));
  res.end(body);
}

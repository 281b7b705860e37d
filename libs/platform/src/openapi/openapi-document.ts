import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { type AppDescriptor } from '../app/app-descriptor';
import { PRODUCT_VERSION } from '../version';

/**
 * The app's OpenAPI document, built from the controllers' metadata only (works on an app created
 * in preview mode, without a database). Keys are sorted so the committed files diff cleanly.
 */
export function buildOpenApiDocument(app: INestApplication, descriptor: AppDescriptor): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(descriptor.title)
    .setDescription(descriptor.description)
    .setVersion(PRODUCT_VERSION)
    .addTag('platform', 'Health, metrics and identity, common to every app')
    // The scheme that `@ApiBearerAuth()` on the REST routes refers to (libs/auth).
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: undefined,
        description: 'An API key (ztp_...) or an OIDC access token',
      },
      'bearer',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  Object.assign(document.paths, deviceFacingPaths(descriptor));
  return sortKeys(document);
}

/** FDO 1.1 message types each app answers (the rest get FDO error 255 / message 100). */
const FDO_MESSAGES: Record<string, string> = {
  'voucher-service': 'DI: 10 AppStart -> 11 SetCredentials, 12 SetHMAC -> 13 Done',
  rendezvous:
    'TO0: 20 Hello -> 21 HelloAck, 22 OwnerSign -> 23 AcceptOwner; TO1: 30 HelloRV -> 31 HelloRVAck, ' +
    '32 ProveToRV -> 33 RVRedirect',
  'owner-onboarding':
    'TO2: 60 HelloDevice -> 61 ProveOVHdr, 62 GetOVNextEntry -> 63, 64 ProveDevice -> 65 SetupDevice, ' +
    '66 DeviceServiceInfoReady -> 67, 68 DeviceServiceInfo -> 69 OwnerServiceInfo, 70 Done -> 71 Done2',
};

/** The SZTP (RFC 8572) operation each app serves on its RESTCONF path. */
const SZTP_OPERATIONS: Record<string, string> = {
  rendezvous: 'get-bootstrapping-data answers with redirect information to the owner bootstrap server',
  'owner-onboarding':
    'get-bootstrapping-data answers with onboarding information (signed with the owner certificate and ' +
    'ownership voucher); report-progress records the device progress',
};

/**
 * The device-facing endpoints, which are not REST controllers (FDO is CBOR served in front of the
 * pipeline; SZTP is RESTCONF with its own error documents), described here so /docs lists them.
 */
function deviceFacingPaths(descriptor: AppDescriptor): OpenAPIObject['paths'] {
  const paths: OpenAPIObject['paths'] = {};
  const fdo = FDO_MESSAGES[descriptor.name];
  if (descriptor.servesFdo && fdo) {
    paths['/fdo/101/msg/{msgType}'] = {
      post: {
        tags: ['devices (FDO)'],
        summary: 'An FDO 1.1 protocol message (CBOR), answered with the next message or error 255',
        description:
          `${fdo}. The body is the message's CBOR (Content-Type application/cbor); the reply carries ` +
          'its type in the Message-Type header and the session token in Authorization. A protocol ' +
          'error is HTTP 200 with message 255 (FDO ErrorMessage: code, previous message, text).',
        parameters: [
          {
            name: 'msgType',
            in: 'path',
            required: true,
            schema: { type: 'integer' },
            description: 'FDO message type',
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/cbor': { schema: { type: 'string', format: 'binary' } } },
        },
        responses: {
          '200': {
            description: 'The reply message, or ErrorMessage (255)',
            content: { 'application/cbor': { schema: { type: 'string', format: 'binary' } } },
          },
        },
      },
    };
  }
  const sztp = SZTP_OPERATIONS[descriptor.name];
  if (sztp) {
    paths['/.well-known/host-meta'] = {
      get: {
        tags: ['devices (SZTP)'],
        summary: 'RFC 6415 host-meta naming the RESTCONF root (/restconf), as SZTP devices look it up',
        responses: { '200': { description: 'XRD document', content: { 'application/xrd+xml': {} } } },
      },
    };
    paths['/restconf/operations/{operation}'] = {
      post: {
        tags: ['devices (SZTP)'],
        summary: 'RFC 8572 bootstrap server operations (ietf-sztp-bootstrap-server:...)',
        description:
          `${sztp}. JSON or XML (application/yang-data+json, +xml). The device authenticates with its ` +
          'IDevID as TLS client certificate (or through SZTP_TRUSTED_PROXIES); refusals are RESTCONF ' +
          'error documents.',
        parameters: [{ name: 'operation', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'The operation output' },
          '204': { description: 'report-progress recorded' },
          '4XX': { description: 'RESTCONF error document' },
        },
      },
    };
  }
  return paths;
}

/** Stable JSON of a document: sorted keys, two-space indent, final newline. */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}

function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    ) as T;
  }
  return value;
}

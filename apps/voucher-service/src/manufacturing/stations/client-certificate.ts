import { type IncomingHttpHeaders } from 'node:http';
import { certificateFingerprint } from '@ztp/pki';
import { parseForwardedCertificate } from '@ztp/platform';

/**
 * SHA-256 fingerprint of the client certificate a TLS-terminating proxy forwarded in `header` (URL-
 * encoded PEM as nginx's `$ssl_client_escaped_cert`, PEM, or base64 DER; with a chain, the leaf).
 * Undefined when the header is absent or holds no certificate. Call it only for requests whose
 * peer is a trusted proxy: anyone else can write the header.
 *
 * Why a forwarded header rather than the socket's peer certificate: FDO handlers see no socket
 * (FdoRequest), the services listen on plain HTTP behind a TLS-terminating ingress in every
 * deployment shape here, and the proxy has already proven the station holds the certificate's key.
 */
export function forwardedCertificateFingerprint(
  headers: IncomingHttpHeaders,
  header: string,
): string | undefined {
  const raw = headers[header];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return undefined;
  const certificate = parseForwardedCertificate(value);
  return certificate ? certificateFingerprint(certificate.leaf) : undefined;
}

/**
 * Where an owner CA publishes its CRL and answers OCSP, on owner-onboarding's public URL. The issued
 * certificates name these in their CRL distribution point and AIA extensions.
 */
export function revocationUrls(
  publicUrl: string,
  ownerTenantId: string,
): { crlUrl: string; ocspUrl: string } {
  const base = `${publicUrl.replace(/\/+$/, '')}/pki/owners/${ownerTenantId}`;
  return { crlUrl: `${base}/crl`, ocspUrl: `${base}/ocsp` };
}

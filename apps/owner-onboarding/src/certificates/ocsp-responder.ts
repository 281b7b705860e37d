import { Inject, Injectable } from '@nestjs/common';
import { CertificateRevocations, ExpiringCache, OwnerCaEntity } from '@ztp/persistence';
import { CLOCK, type Clock, KEY_CUSTODY } from '@ztp/platform';
import {
  createOcspResponse,
  type KeyCustody,
  type OcspAnswer,
  OcspIssuer,
  ocspErrorResponse,
  parseOcspRequest,
  type ParsedOcspRequest,
  PkiError,
} from '@ztp/pki';
import { type Signer } from '@ztp/protocol/cose/signer';
import { DataSource } from 'typeorm';

/** How long an answer may be relied on (RFC 6960 nextUpdate); a revocation shows at once to new queries. */
export const OCSP_VALIDITY_MS = 3_600_000;

interface ResponderCa {
  issuer: OcspIssuer;
  signer: Signer;
}

/**
 * The OCSP responder of each owner CA (RFC 6960): the CA signs its own answers, good or revoked
 * for certificates it issued (issued_certificate), unknown for serials it did not issue or CertIDs
 * naming another issuer; the request's nonce is echoed. A request that does not parse gets the
 * unsigned malformedRequest answer, an owner without a CA the unauthorized one.
 */
@Injectable()
export class OcspResponder {
  private readonly cas = new ExpiringCache<string, ResponderCa>(1024, 60_000);

  constructor(
    private readonly dataSource: DataSource,
    private readonly revocations: CertificateRevocations,
    @Inject(KEY_CUSTODY) private readonly custody: KeyCustody,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async respond(ownerTenantId: string, requestDer: Uint8Array): Promise<Uint8Array> {
    let request: ParsedOcspRequest;
    try {
      request = parseOcspRequest(requestDer);
    } catch (err) {
      if (err instanceof PkiError) return ocspErrorResponse('malformedRequest');
      throw err;
    }
    const ca = await this.ca(ownerTenantId);
    if (!ca) return ocspErrorResponse('unauthorized');
    const ours = request.certIds.filter((certId) => ca.issuer.issued(certId));
    const statuses = await this.revocations.status(
      ownerTenantId,
      ours.map((certId) => certId.serialNumber),
    );
    const answers = request.certIds.map((certId): OcspAnswer => ({
      certId,
      status: ca.issuer.issued(certId)
        ? (statuses.get(certId.serialNumber) ?? { status: 'unknown' })
        : { status: 'unknown' },
    }));
    const now = this.clock.now();
    const producedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
    return createOcspResponse(ca.signer, {
      issuer: ca.issuer,
      answers,
      producedAt,
      thisUpdate: producedAt,
      nextUpdate: new Date(producedAt.getTime() + OCSP_VALIDITY_MS),
      ...(request.nonce ? { nonce: request.nonce } : {}),
    });
  }

  /** The owner's CA, cached; a miss is not cached, so a CA created a moment later answers at once. */
  private async ca(ownerTenantId: string): Promise<ResponderCa | null> {
    const cached = this.cas.get(ownerTenantId);
    if (cached) return cached;
    const row = await this.dataSource.getRepository(OwnerCaEntity).findOneBy({ ownerTenantId });
    if (!row) return null;
    const ca = {
      issuer: new OcspIssuer(new Uint8Array(row.certificate)),
      signer: await this.custody.signer(row.custodyKeyId),
    };
    this.cas.set(ownerTenantId, ca);
    return ca;
  }
}

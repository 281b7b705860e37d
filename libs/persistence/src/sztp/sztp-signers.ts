import { type KeyCustody } from '@ztp/pki';
import { sztp } from '@ztp/protocol';
import { type DataSource } from 'typeorm';
import { ExpiringCache } from '../support/expiring-cache';
import { type SztpOwnerIdentity } from './sztp-device-context';
import { SztpMasaEntity } from './sztp-masa.entity';

/** An owner's conveyed-information signer and the owner-certificate artifact that goes with it. */
export interface SztpOwnerSigner {
  readonly signer: sztp.CmsSigner;
  /** certs-only CMS: owner certificate and the owner CA (what the voucher pins). */
  readonly ownerCertificateArtifact: Uint8Array;
  /** DER of the owner CA certificate (pinned-domain-cert). */
  readonly pinnedDomainCert: Uint8Array;
}

/**
 * Signers for SZTP artifacts, backed by key custody. Each signature still goes through custody
 * (a destroyed key stops signing); only the certificate parsing, the owner-certificate artifact and
 * the custody signer handles are cached, for `ttlMs`.
 */
export class SztpOwnerSigners {
  private readonly cache: ExpiringCache<string, Promise<SztpOwnerSigner>>;

  constructor(
    private readonly custody: KeyCustody,
    ttlMs = 60_000,
  ) {
    this.cache = new ExpiringCache(1_000, ttlMs);
  }

  forOwner(owner: SztpOwnerIdentity): Promise<SztpOwnerSigner> {
    const key = `${owner.tenantId}\n${owner.signingKeyId}`;
    let signer = this.cache.get(key);
    if (signer === undefined) {
      signer = this.create(owner);
      this.cache.set(key, signer);
      signer.catch(() => this.cache.delete(key));
    }
    return signer;
  }

  private async create(owner: SztpOwnerIdentity): Promise<SztpOwnerSigner> {
    const custodySigner = await this.custody.signer(owner.signingKeyId);
    return {
      signer: sztp.coseSignerAdapter(owner.signingCertificate, custodySigner),
      ownerCertificateArtifact: sztp.encodeOwnerCertificate(owner.signingCertificate, [owner.caCertificate]),
      pinnedDomainCert: owner.caCertificate,
    };
  }
}

/** The voucher a MASA can issue: RFC 8366 leaves the issuer decides. */
export interface OwnershipVoucherRequest {
  readonly serialNumber: string;
  /** DER certificate the owner's certificate must chain to. */
  readonly pinnedDomainCert: Uint8Array;
  /** Nonce-bound (RFC 8366: then no expires-on): the nonce the device sent. */
  readonly nonce?: Uint8Array;
  readonly expiresOn?: Date;
}

/** A MASA cannot sign: it is external (no custody key) or unknown. */
export class SztpMasaUnavailableError extends Error {
  override readonly name = 'SztpMasaUnavailableError';
}

/**
 * Issues RFC 8366 vouchers as a manufacturer's MASA (the key in custody): ledger vouchers from the
 * voucher service, and nonce-bound vouchers for a device that asked for one with a nonce.
 */
export class SztpMasaVoucherIssuer {
  private readonly signers: ExpiringCache<
    string,
    Promise<{ signer: sztp.CmsSigner; certificates: Uint8Array[] }>
  >;

  constructor(
    private readonly deps: { dataSource: DataSource; custody: KeyCustody; now: () => Date },
    ttlMs = 60_000,
  ) {
    this.signers = new ExpiringCache(1_000, ttlMs);
  }

  /** The voucher JSON as this issuer writes it (assertion "verified": the ledger knows the holder). */
  voucherFor(request: OwnershipVoucherRequest): sztp.Voucher {
    if (!request.nonce && request.expiresOn) {
      const notAfter = sztp.parseCertificate(request.pinnedDomainCert).notAfter;
      if (request.expiresOn.getTime() > notAfter.getTime()) {
        // RFC 8366 section 5.3: expires-on must not be after the pinned-domain-cert's notAfter.
        throw new RangeError(
          `expires-on ${request.expiresOn.toISOString()} is after the pinned-domain-cert's notAfter ${notAfter.toISOString()}`,
        );
      }
    }
    return {
      createdOn: this.deps.now().toISOString(),
      assertion: 'verified',
      serialNumber: request.serialNumber,
      pinnedDomainCert: request.pinnedDomainCert,
      domainCertRevocationChecks: false,
      ...(request.nonce ? { nonce: request.nonce } : {}),
      ...(!request.nonce && request.expiresOn ? { expiresOn: request.expiresOn.toISOString() } : {}),
    };
  }

  async issue(masaId: string, request: OwnershipVoucherRequest): Promise<Uint8Array> {
    const { signer, certificates } = await this.signerFor(masaId);
    return sztp.issueVoucher(this.voucherFor(request), signer, { certificates });
  }

  /** Whether this MASA can sign (has a custody key). */
  async canIssue(masaId: string): Promise<boolean> {
    try {
      await this.signerFor(masaId);
      return true;
    } catch (err) {
      if (err instanceof SztpMasaUnavailableError) return false;
      throw err;
    }
  }

  private signerFor(masaId: string) {
    let entry = this.signers.get(masaId);
    if (entry === undefined) {
      entry = this.load(masaId);
      this.signers.set(masaId, entry);
      entry.catch(() => this.signers.delete(masaId));
    }
    return entry;
  }

  private async load(masaId: string) {
    const masa = await this.deps.dataSource.getRepository(SztpMasaEntity).findOneBy({ id: masaId });
    if (masa === null) throw new SztpMasaUnavailableError(`no MASA ${masaId}`);
    if (masa.custodyKeyId === null)
      throw new SztpMasaUnavailableError(
        `MASA "${masa.name}" is external: it verifies vouchers, it does not sign`,
      );
    const certificate = new Uint8Array(masa.certificate);
    const signer = sztp.coseSignerAdapter(certificate, await this.deps.custody.signer(masa.custodyKeyId));
    const chain = masa.chain.map((b64) => new Uint8Array(Buffer.from(b64, 'base64')));
    return { signer, certificates: [certificate, ...chain] };
  }
}

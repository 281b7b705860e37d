import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  AuditLog,
  type IdentifiedSztpDevice,
  type AnswerableContext,
  RestconfRequestError,
  SztpLdevidEntity,
} from '@ztp/persistence';
import { CertificateIssuer, type KeyCustody, parseCsr, PkiError } from '@ztp/pki';
import { CLOCK, type Clock, KEY_CUSTODY } from '@ztp/platform';
import { sztp } from '@ztp/protocol';
import { WebhookEvents } from '@ztp/queue';
import { DataSource } from 'typeorm';

/** An LDevID as delivered: the certificate and the key it certifies. */
export interface IssuedLdevid {
  readonly certificate: Uint8Array;
  /** DER SubjectPublicKeyInfo from the CSR. */
  readonly publicKeySpki: Uint8Array;
  /** The issuing CA certificate (DER). */
  readonly issuer: Uint8Array;
}

const EC_P256 = sztp.encodeAlgorithmIdentifier(sztp.Oid.ecPublicKey, sztp.Oid.secp256r1);
const EC_P384 = sztp.encodeAlgorithmIdentifier(sztp.Oid.ecPublicKey, sztp.Oid.secp384r1);

/** Key algorithms asked for, best first: what the owner CA's LDevIDs use and devices generate fast. */
const PREFERRED_ALGORITHMS = [EC_P256, EC_P384];

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * RFC 9646 on the owner's bootstrap server: what to ask a device for (the csr-request), and an
 * LDevID from the owner CA for the CSR it sends back, recorded with an audit event and a
 * `certificate.issued` webhook in the same transaction.
 */
@Injectable()
export class SztpLdevidIssuer {
  private readonly certificates: CertificateIssuer;
  private readonly audit: AuditLog;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KEY_CUSTODY) custody: KeyCustody,
    @Inject(CLOCK) clock: Clock,
    private readonly webhooks: WebhookEvents,
  ) {
    this.certificates = new CertificateIssuer({
      custody,
      now: () => clock.now(),
      randomBytes: (size) => new Uint8Array(randomBytes(size)),
    });
    this.audit = new AuditLog(() => clock.now());
  }

  /**
   * The csr-request for what the device offered: a PKCS#10 CSR, for a new P-256 (or P-384) key when
   * the device can generate one, else for its IDevID key. Undefined when it cannot make a PKCS#10.
   */
  csrRequest(support: sztp.CsrSupport): sztp.CsrRequest | undefined {
    if (!support.supportedFormats.includes('p10-csr')) return undefined;
    const offered = support.keyGeneration?.supportedAlgorithms ?? [];
    const selected = PREFERRED_ALGORITHMS.find((wanted) => offered.some((a) => sameBytes(a, wanted)));
    return {
      ...(selected ? { keyGeneration: { selectedAlgorithm: selected } } : {}),
      selectedFormat: 'p10-csr',
    };
  }

  async issue(
    context: AnswerableContext,
    device: IdentifiedSztpDevice,
    submission: sztp.CsrSubmission,
  ): Promise<IssuedLdevid> {
    if (submission.format !== 'p10-csr') {
      throw RestconfRequestError.of(
        400,
        'invalid-value',
        `${submission.format} is not supported; send a p10-csr`,
      );
    }
    let csr: Awaited<ReturnType<typeof parseCsr>>;
    try {
      csr = await parseCsr(submission.value);
    } catch (err) {
      if (err instanceof PkiError) {
        throw RestconfRequestError.of(400, 'invalid-value', `ietf-sztp-csr:p10-csr: ${err.message}`);
      }
      throw err;
    }
    // Only what csrRequest asks for: a new P-256/P-384 key, or (a device that cannot generate one) its
    // IDevID's key. Anything else (an RSA key where P-256 was selected) was not asked for.
    const idevidKey =
      device.idevidPublicKey !== undefined && sameBytes(csr.publicKeySpki, device.idevidPublicKey);
    if (!idevidKey && csr.keySpec !== 'P-256' && csr.keySpec !== 'P-384') {
      throw RestconfRequestError.of(
        400,
        'invalid-value',
        `ietf-sztp-csr:p10-csr: a ${csr.keySpec} key was not asked for; send a CSR for a new P-256 or P-384 key${device.idevidPublicKey ? ' or for the IDevID key' : ''}`,
      );
    }
    const issuer = { keyId: context.owner.caKeyId, certificate: context.owner.caCertificate };
    let certificate: Uint8Array;
    try {
      certificate = await this.certificates.issueFromCsr(issuer, csr, {
        kind: 'ldevid',
        deviceSerial: device.serialNumber,
        validityDays: context.owner.ldevidValidityDays,
      });
    } catch (err) {
      if (err instanceof PkiError) {
        throw RestconfRequestError.of(
          500,
          'operation-failed',
          `the owner CA cannot issue this LDevID: ${err.message}`,
        );
      }
      throw err;
    }
    const parsed = sztp.parseCertificate(certificate);
    const serialHex = Buffer.from(parsed.serialNumber).toString('hex');
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(SztpLdevidEntity).save({
        deviceId: device.deviceId,
        tenantId: context.owner.tenantId,
        certificate: Buffer.from(certificate),
        serialHex,
        notAfter: parsed.notAfter,
      });
      await this.audit.append(manager, {
        tenantId: context.owner.tenantId,
        eventType: 'sztp.ldevid.issued',
        subject: `sztp-device:${device.deviceId}`,
        actor: `sztp-device:${device.serialNumber}`,
        data: {
          serialNumber: device.serialNumber,
          certificateSerial: serialHex,
          notAfter: parsed.notAfter.toISOString(),
          keySpec: csr.keySpec,
        },
      });
      await this.webhooks.emit(manager, {
        tenantId: context.owner.tenantId,
        type: 'certificate.issued',
        subject: `sztp-device:${device.deviceId}`,
        data: {
          protocol: 'sztp',
          kind: 'ldevid',
          serialNumber: device.serialNumber,
          certificateSerial: serialHex,
          notAfter: parsed.notAfter.toISOString(),
        },
      });
    });
    return { certificate, publicKeySpki: csr.publicKeySpki, issuer: context.owner.caCertificate };
  }

  /** The ietf-keystore document carrying the LDevID (RFC 9646 section 4 examples). */
  keystoreDocument(ldevid: IssuedLdevid): string {
    return sztp.encodeKeystore(
      [
        {
          name: 'ldevid-key',
          publicKey: ldevid.publicKeySpki,
          certificates: [sztp.keystoreCertificate('ldevid-certificate', ldevid.certificate, [ldevid.issuer])],
        },
      ],
      'json',
    );
  }
}

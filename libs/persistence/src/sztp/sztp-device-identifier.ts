import { createHash } from 'node:crypto';
import { sztp } from '@ztp/protocol';
import { type DataSource } from 'typeorm';
import { verifyActivationCode } from './activation-code';
import { ActivationLockout, type ActivationLockoutPolicy } from './activation-lockout';
import { preparedQuery } from '../support/prepared-query';
import { ExpiringCache } from '../support/expiring-cache';
import { compileSerialNumberPattern, extractSerialNumber } from './serial-number-rule';
import { SztpDeviceTypeEntity, type SztpOutputProfile } from './sztp-device-type.entity';

/** What a device presented to prove who it is. */
export interface SztpCredentials {
  /** Its TLS client certificate (the IDevID, DER) and any intermediates it sent. */
  readonly clientCertificate?: { readonly leaf: Uint8Array; readonly chain: readonly Uint8Array[] };
  /** HTTP Basic: serial number and activation code. */
  readonly basic?: { readonly username: string; readonly password: string };
  /** The address the request came from (activation-code failures are limited per source too). */
  readonly source?: string;
}

export interface IdentifiedSztpDevice {
  readonly deviceId: string;
  readonly deviceTypeId: string;
  readonly serialNumber: string;
  readonly outputProfile: SztpOutputProfile;
  readonly authenticatedBy: 'client-certificate' | 'activation-code';
  /** The IDevID's SubjectPublicKeyInfo (DER), when identified by its client certificate. */
  readonly idevidPublicKey?: Uint8Array;
}

export type SztpIdentityErrorCode =
  /** Neither a client certificate nor Basic credentials. */
  | 'no-credentials'
  /** The client certificate chains to no device type's trust anchors (or is outside its validity). */
  | 'untrusted-certificate'
  /** The certificate is trusted but the device type's rule finds no serial number in it. */
  | 'no-serial-number'
  /** No device with this serial number is registered (for the certificate's device type). */
  | 'unknown-device'
  /** Wrong serial number / activation code pair, or activation codes not allowed for the type. */
  | 'bad-activation-code'
  /** A trusted certificate for one device, with Basic credentials naming another. */
  | 'credential-mismatch'
  /** Too many wrong activation codes for this serial number or from this address: try later. */
  | 'locked-out';

export class SztpIdentityError extends Error {
  override readonly name = 'SztpIdentityError';
  constructor(
    readonly code: SztpIdentityErrorCode,
    message: string,
    /** For locked-out: when the lockout ends. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

interface DeviceTypeTrust {
  readonly id: string;
  readonly anchors: readonly sztp.CertificateInfo[];
  readonly rule: { source: SztpDeviceTypeEntity['serialNumberSource']; pattern: string | null };
  readonly pattern: RegExp | undefined;
  readonly outputProfile: SztpOutputProfile;
}

interface CertificateClaim {
  readonly deviceTypeId: string;
  readonly serialNumber: string;
  readonly outputProfile: SztpOutputProfile;
  readonly idevidPublicKey: Uint8Array;
}

export interface SztpDeviceIdentifierOptions {
  readonly dataSource: DataSource;
  readonly now: () => Date;
  /** How long device types, validated certificates and device ids are cached. Default 10 s. */
  readonly cacheTtlMs?: number;
  /** Limits on failed activation codes (DEFAULT_ACTIVATION_LOCKOUT). */
  readonly lockout?: ActivationLockoutPolicy;
}

/**
 * Identifies the device behind an SZTP request. A client certificate must chain (at the current
 * time) to the trust anchors of a device type, whose rule then reads the serial number; HTTP Basic
 * serial + activation code is the fallback for device types that allow it (also when the presented
 * certificate is not trusted: OPI's agent always sends one, trusted or not).
 *
 * Everything a request needs is cached for `cacheTtlMs` (device types, certificate validations,
 * device ids, successful activation-code checks), so a device identified a moment ago costs no
 * database round trip and no scrypt.
 */
export class SztpDeviceIdentifier {
  private readonly ttlMs: number;
  private deviceTypes: { loadedAt: number; types: Promise<DeviceTypeTrust[]> } | undefined;
  private readonly certificates: ExpiringCache<string, CertificateClaim>;
  private readonly deviceIds: ExpiringCache<string, string>;
  private readonly activationCodes: ExpiringCache<string, IdentifiedSztpDevice>;
  private readonly lockout: ActivationLockout;

  constructor(private readonly options: SztpDeviceIdentifierOptions) {
    this.lockout = new ActivationLockout(options.dataSource, options.now, options.lockout);
    this.ttlMs = options.cacheTtlMs ?? 10_000;
    const clock = () => options.now().getTime();
    this.certificates = new ExpiringCache(10_000, this.ttlMs, clock);
    this.deviceIds = new ExpiringCache(50_000, this.ttlMs, clock);
    this.activationCodes = new ExpiringCache(10_000, this.ttlMs, clock);
  }

  async identify(credentials: SztpCredentials): Promise<IdentifiedSztpDevice> {
    if (credentials.clientCertificate === undefined && credentials.basic === undefined) {
      throw new SztpIdentityError(
        'no-credentials',
        'present a client certificate (IDevID) or HTTP Basic serial number and activation code',
      );
    }
    let certificateError: SztpIdentityError | undefined;
    if (credentials.clientCertificate) {
      let identified: IdentifiedSztpDevice | undefined;
      try {
        identified = await this.byCertificate(credentials.clientCertificate);
      } catch (err) {
        if (!(err instanceof SztpIdentityError) || credentials.basic === undefined) throw err;
        certificateError = err;
      }
      if (identified !== undefined) {
        // Two credentials that name two devices: which one is asking is unknowable, so neither.
        if (credentials.basic !== undefined && credentials.basic.username !== identified.serialNumber) {
          throw new SztpIdentityError(
            'credential-mismatch',
            `the client certificate is for serial number "${identified.serialNumber}" but Basic names "${credentials.basic.username}"`,
          );
        }
        return identified;
      }
    }
    try {
      return await this.byActivationCode(credentials.basic!, credentials.source);
    } catch (err) {
      if (err instanceof SztpIdentityError && err.code === 'locked-out') throw err;
      throw certificateError ?? err;
    }
  }

  /** Forget cached device types (after one was created or changed through this process). */
  invalidate(): void {
    this.deviceTypes = undefined;
    this.certificates.clear();
  }

  private async byCertificate(presented: {
    leaf: Uint8Array;
    chain: readonly Uint8Array[];
  }): Promise<IdentifiedSztpDevice> {
    const key = createHash('sha256')
      .update(presented.leaf)
      .update(Buffer.concat(presented.chain.map((c) => Buffer.from(c))))
      .digest('base64');
    let claim = this.certificates.get(key);
    if (claim === undefined) {
      const { claim: fresh, validForMs } = await this.validate(presented);
      claim = fresh;
      this.certificates.set(key, claim, validForMs);
    }
    const deviceId = await this.deviceId(claim.deviceTypeId, claim.serialNumber);
    if (deviceId === undefined) {
      throw new SztpIdentityError(
        'unknown-device',
        `no device with serial number "${claim.serialNumber}" is registered`,
      );
    }
    return { deviceId, ...claim, authenticatedBy: 'client-certificate' };
  }

  private async validate(presented: {
    leaf: Uint8Array;
    chain: readonly Uint8Array[];
  }): Promise<{ claim: CertificateClaim; validForMs: number }> {
    let leaf: sztp.CertificateInfo;
    let intermediates: sztp.CertificateInfo[];
    try {
      leaf = sztp.parseCertificate(presented.leaf);
      intermediates = presented.chain.map((der) => sztp.parseCertificate(der));
    } catch {
      throw new SztpIdentityError(
        'untrusted-certificate',
        'the client certificate is not a valid X.509 certificate',
      );
    }
    const now = this.options.now();
    let trustedButNoSerial = false;
    for (const type of await this.loadDeviceTypes()) {
      let path: sztp.CertificateInfo[];
      try {
        path = sztp.buildCertificatePath(leaf, intermediates, type.anchors, { at: now });
      } catch {
        continue;
      }
      const serialNumber = extractSerialNumber(leaf.der, type.rule, type.pattern);
      if (serialNumber === undefined) {
        trustedButNoSerial = true;
        continue;
      }
      const notAfter = Math.min(...path.map((c) => c.notAfter.getTime()));
      return {
        claim: {
          deviceTypeId: type.id,
          serialNumber,
          outputProfile: type.outputProfile,
          idevidPublicKey: new Uint8Array(leaf.x509.publicKey.export({ type: 'spki', format: 'der' })),
        },
        validForMs: Math.max(0, notAfter - now.getTime()),
      };
    }
    if (trustedButNoSerial) {
      throw new SztpIdentityError(
        'no-serial-number',
        'the client certificate is trusted but carries no serial number where its device type says',
      );
    }
    throw new SztpIdentityError(
      'untrusted-certificate',
      'the client certificate does not chain to the trust anchors of any device type',
    );
  }

  private async deviceId(deviceTypeId: string, serialNumber: string): Promise<string | undefined> {
    const key = `${deviceTypeId}\n${serialNumber}`;
    const cached = this.deviceIds.get(key);
    if (cached !== undefined) return cached;
    const rows = await preparedQuery<{ id: string }>(
      this.options.dataSource,
      'sztp-device-id',
      'SELECT id FROM sztp_device WHERE device_type_id = $1 AND serial_number = $2',
      [deviceTypeId, serialNumber],
    );
    const id = rows[0]?.id;
    if (id !== undefined) this.deviceIds.set(key, id);
    return id;
  }

  private async byActivationCode(
    basic: {
      username: string;
      password: string;
    },
    source: string | undefined,
  ): Promise<IdentifiedSztpDevice> {
    // Checked before the cache: while locked, even the right code is refused.
    const locked = await this.lockout.active(basic.username, source);
    if (locked !== undefined) throw lockedOut(locked.scope, locked.retryAfterSeconds);
    const key = createHash('sha256')
      .update(basic.username)
      .update('\n')
      .update(basic.password)
      .digest('base64');
    const cached = this.activationCodes.get(key);
    if (cached !== undefined) return cached;
    const rows: {
      id: string;
      device_type_id: string;
      activation_code_hash: string;
      output_profile: SztpOutputProfile;
    }[] = await this.options.dataSource.query(
      `SELECT d.id, d.device_type_id, d.activation_code_hash, t.output_profile
         FROM sztp_device d JOIN sztp_device_type t ON t.id = d.device_type_id
        WHERE d.serial_number = $1 AND d.activation_code_hash IS NOT NULL AND t.activation_code_fallback`,
      [basic.username],
    );
    for (const row of rows) {
      if (await verifyActivationCode(basic.password, row.activation_code_hash)) {
        const identified: IdentifiedSztpDevice = {
          deviceId: row.id,
          deviceTypeId: row.device_type_id,
          serialNumber: basic.username,
          outputProfile: row.output_profile,
          authenticatedBy: 'activation-code',
        };
        this.activationCodes.set(key, identified);
        await this.lockout.succeeded(basic.username);
        return identified;
      }
    }
    const started = await this.lockout.failed(basic.username, source);
    if (started !== undefined) throw lockedOut(started.scope, started.retryAfterSeconds);
    throw new SztpIdentityError(
      'bad-activation-code',
      'serial number and activation code do not match a device',
    );
  }

  private loadDeviceTypes(): Promise<DeviceTypeTrust[]> {
    const now = this.options.now().getTime();
    if (this.deviceTypes === undefined || now - this.deviceTypes.loadedAt >= this.ttlMs) {
      const types = this.readDeviceTypes();
      this.deviceTypes = { loadedAt: now, types };
      types.catch(() => (this.deviceTypes = undefined));
    }
    return this.deviceTypes.types;
  }

  private async readDeviceTypes(): Promise<DeviceTypeTrust[]> {
    const entities = await this.options.dataSource.getRepository(SztpDeviceTypeEntity).find();
    return entities.flatMap((type): DeviceTypeTrust[] => {
      try {
        return [
          {
            id: type.id,
            anchors: type.trustAnchors.map((b64) => sztp.parseCertificate(Buffer.from(b64, 'base64'))),
            rule: { source: type.serialNumberSource, pattern: type.serialNumberPattern },
            pattern: compileSerialNumberPattern(type.serialNumberPattern),
            outputProfile: type.outputProfile,
          },
        ];
      } catch {
        // Validated when stored; a row broken since identifies no device rather than none at all.
        return [];
      }
    });
  }
}

function lockedOut(scope: 'serial' | 'source', retryAfterSeconds: number): SztpIdentityError {
  return new SztpIdentityError(
    'locked-out',
    `too many wrong activation codes for this ${scope === 'serial' ? 'serial number' : 'source address'}; retry in ${retryAfterSeconds} s`,
    retryAfterSeconds,
  );
}

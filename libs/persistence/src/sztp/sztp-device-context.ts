import { type DataSource } from 'typeorm';
import { preparedQuery } from '../support/prepared-query';
import { type StoredBootImage, type StoredConfigurationHandling } from './sztp-onboarding-profile.entity';
import { type StoredBootstrapServer } from './sztp-owner.entity';

/** The device's active voucher, as the SZTP servers need it. */
export interface SztpActiveVoucher {
  readonly id: string;
  readonly cms: Uint8Array;
  readonly masaId: string;
  readonly holderTenantId: string;
  readonly pinsHolder: boolean;
}

/** The holder's SZTP owner identity (keys in custody). */
export interface SztpOwnerIdentity {
  readonly tenantId: string;
  readonly caKeyId: string;
  readonly caCertificate: Uint8Array;
  readonly signingKeyId: string;
  readonly signingCertificate: Uint8Array;
  readonly bootstrapServers: readonly StoredBootstrapServer[];
  readonly ldevidValidityDays: number;
  /** Changes whenever the row does (bootstrap servers, keys): a cache key for what derives from it. */
  readonly version: string;
}

export interface SztpOnboardingProfile {
  readonly id: string;
  readonly bootImage: StoredBootImage | null;
  readonly preConfigurationScript: Uint8Array | null;
  readonly configuration: Uint8Array | null;
  readonly configurationHandling: StoredConfigurationHandling | null;
  readonly postConfigurationScript: Uint8Array | null;
  readonly issueLdevid: boolean;
  /** Changes whenever the profile does. */
  readonly version: string;
}

/** Everything both SZTP servers read about a device to answer it, in one round trip. */
export interface SztpDeviceContext {
  readonly deviceId: string;
  readonly serialNumber: string;
  /** The device state machine's state (a disabled or decommissioned device is refused). */
  readonly lifecycle: string;
  readonly voucher?: SztpActiveVoucher;
  /** The voucher holder's owner identity, when it has set one up. */
  readonly owner?: SztpOwnerIdentity;
  /** The device's profile (or the holder's default one). */
  readonly profile?: SztpOnboardingProfile;
}

interface ContextRow {
  device_id: string;
  serial_number: string;
  lifecycle: string;
  voucher_id: string | null;
  cms: Buffer | null;
  masa_id: string | null;
  holder_tenant_id: string | null;
  pins_holder: boolean | null;
  owner_tenant_id: string | null;
  ca_key_id: string | null;
  ca_certificate: Buffer | null;
  signing_key_id: string | null;
  signing_certificate: Buffer | null;
  bootstrap_servers: StoredBootstrapServer[] | null;
  ldevid_validity_days: number | null;
  owner_version: string | null;
  profile_id: string | null;
  profile_version: string | null;
  boot_image: StoredBootImage | null;
  pre_configuration_script: Buffer | null;
  configuration: Buffer | null;
  configuration_handling: StoredConfigurationHandling | null;
  post_configuration_script: Buffer | null;
  issue_ldevid: boolean | null;
}

const CONTEXT_QUERY = `
  SELECT d.id AS device_id, d.serial_number, d.lifecycle,
         v.id AS voucher_id, v.cms, v.masa_id, v.holder_tenant_id, v.pins_holder,
         o.tenant_id AS owner_tenant_id, o.ca_key_id, o.ca_certificate, o.signing_key_id,
         o.signing_certificate, o.bootstrap_servers, o.ldevid_validity_days,
         o.updated_at::text AS owner_version,
         p.id AS profile_id, p.boot_image, p.pre_configuration_script, p.configuration,
         p.configuration_handling, p.post_configuration_script, p.issue_ldevid,
         p.updated_at::text AS profile_version
    FROM sztp_device d
    LEFT JOIN sztp_voucher v ON v.device_id = d.id AND v.status = 'active'
    LEFT JOIN sztp_owner o ON o.tenant_id = v.holder_tenant_id
    LEFT JOIN sztp_onboarding_profile p ON p.tenant_id = v.holder_tenant_id
         AND (p.id = d.onboarding_profile_id OR (d.onboarding_profile_id IS NULL AND p.is_default))
   WHERE d.id = $1`;

const bytes = (buffer: Buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
const optionalBytes = (buffer: Buffer | null) => (buffer === null ? null : bytes(buffer));

/** Loads a device's SZTP context: active voucher, holder's owner identity and onboarding profile. */
export async function loadSztpDeviceContext(
  dataSource: DataSource,
  deviceId: string,
): Promise<SztpDeviceContext | undefined> {
  const rows = await preparedQuery<ContextRow>(dataSource, 'sztp-device-context', CONTEXT_QUERY, [deviceId]);
  const row = rows[0];
  if (row === undefined) return undefined;
  const voucher: SztpActiveVoucher | undefined =
    row.voucher_id !== null
      ? {
          id: row.voucher_id,
          cms: bytes(row.cms!),
          masaId: row.masa_id!,
          holderTenantId: row.holder_tenant_id!,
          pinsHolder: row.pins_holder!,
        }
      : undefined;
  const owner: SztpOwnerIdentity | undefined =
    row.owner_tenant_id !== null
      ? {
          tenantId: row.owner_tenant_id,
          caKeyId: row.ca_key_id!,
          caCertificate: bytes(row.ca_certificate!),
          signingKeyId: row.signing_key_id!,
          signingCertificate: bytes(row.signing_certificate!),
          bootstrapServers: row.bootstrap_servers ?? [],
          ldevidValidityDays: row.ldevid_validity_days!,
          version: row.owner_version!,
        }
      : undefined;
  const profile: SztpOnboardingProfile | undefined =
    row.profile_id !== null
      ? {
          id: row.profile_id,
          bootImage: row.boot_image,
          preConfigurationScript: optionalBytes(row.pre_configuration_script),
          configuration: optionalBytes(row.configuration),
          configurationHandling: row.configuration_handling,
          postConfigurationScript: optionalBytes(row.post_configuration_script),
          issueLdevid: row.issue_ldevid ?? false,
          version: row.profile_version!,
        }
      : undefined;
  return {
    deviceId: row.device_id,
    serialNumber: row.serial_number,
    lifecycle: row.lifecycle,
    ...(voucher ? { voucher } : {}),
    ...(owner ? { owner } : {}),
    ...(profile ? { profile } : {}),
  };
}

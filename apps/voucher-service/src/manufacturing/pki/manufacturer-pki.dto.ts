import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MANUFACTURER_KEY_ENCODINGS } from '@ztp/persistence';
import { KEY_SPECS } from '@ztp/pki';
import { z } from 'zod';

export const initializePkiSchema = z
  .object({
    caKeySpec: z.enum(KEY_SPECS).optional(),
    voucherKeySpec: z.enum(KEY_SPECS).optional(),
    voucherKeyId: z.uuid().optional(),
    manufacturerKeyEncoding: z.enum(MANUFACTURER_KEY_ENCODINGS).optional(),
    deviceCertValidityDays: z.number().int().min(1).max(36500).optional(),
  })
  .strict();

export class InitializePkiRequestDto {
  @ApiPropertyOptional({
    enum: KEY_SPECS,
    default: 'P-384',
    description: 'Key type of the root and intermediate CAs',
  })
  caKeySpec?: string;
  @ApiPropertyOptional({
    enum: KEY_SPECS,
    default: 'P-256',
    description: 'Key type of the new voucher-signing key (the manufacturer key in every OVHeader)',
  })
  voucherKeySpec?: string;
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Use this existing owner key of the tenant as voucher-signing key instead of generating one',
  })
  voucherKeyId?: string;
  @ApiPropertyOptional({
    enum: MANUFACTURER_KEY_ENCODINGS,
    default: 'x509',
    description:
      'How the manufacturer key is written into OVHeaders: X509 (SubjectPublicKeyInfo), COSE_Key, or what the device asks for in DeviceMfgInfo (X509 or COSE_Key)',
  })
  manufacturerKeyEncoding?: string;
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 36500,
    default: 7300,
    description: 'Validity of device certificates, capped at the intermediate CA notAfter',
  })
  deviceCertValidityDays?: number;
}

class VoucherKeyDto {
  @ApiProperty({ format: 'uuid', description: 'owner_key id' })
  id!: string;
  @ApiProperty({ enum: KEY_SPECS })
  spec!: string;
  @ApiProperty({ description: 'PEM SubjectPublicKeyInfo' })
  publicKey!: string;
  @ApiProperty({ description: 'SHA-256 (hex) of the DER SubjectPublicKeyInfo' })
  publicKeySha256!: string;
}

export class ManufacturerPkiDto {
  @ApiProperty({ format: 'uuid' })
  tenantId!: string;
  @ApiProperty({ description: 'PEM; the trust anchor of every device certificate chain' })
  rootCaCertificate!: string;
  @ApiProperty({ description: 'PEM; signs device certificates during DI' })
  intermediateCaCertificate!: string;
  @ApiProperty({ type: VoucherKeyDto })
  voucherKey!: VoucherKeyDto;
  @ApiProperty({ enum: MANUFACTURER_KEY_ENCODINGS })
  manufacturerKeyEncoding!: string;
  @ApiProperty()
  deviceCertValidityDays!: number;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';

export const createStationSchema = z
  .object({
    name: z.string().min(1).max(100),
    productionLine: z.string().min(1).max(100).nullable().optional(),
    apiKey: z.boolean().optional(),
    clientCertificate: z.string().min(1).max(16384).optional(),
    allowedCidrs: z.array(z.string().max(64)).max(64).optional(),
  })
  .strict();

export class CreateStationRequestDto {
  @ApiProperty({ example: 'line-3-programmer', description: 'Unique per manufacturer' })
  name!: string;
  @ApiPropertyOptional({
    example: 'line-3',
    nullable: true,
    description: 'Recorded on every device it initialises',
  })
  productionLine?: string | null;
  @ApiPropertyOptional({
    description: 'Issue an API key; the station sends it in the X-Station-Key header. Returned once.',
  })
  apiKey?: boolean;
  @ApiPropertyOptional({
    description:
      'The TLS client certificate (PEM) or its SHA-256 fingerprint (hex) the station presents to the TLS-terminating proxy (see DI_TRUSTED_PROXIES, DI_CLIENT_CERT_HEADER)',
  })
  clientCertificate?: string;
  @ApiPropertyOptional({
    type: [String],
    example: ['10.20.0.0/16'],
    description:
      'Source networks DI may come from. Alone, they authenticate devices that speak plain FDO (no key); with a key or certificate, they restrict where it may be used.',
  })
  allowedCidrs?: string[];
}

export class StationDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  tenantId!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ type: String, nullable: true })
  productionLine!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Public lookup prefix of the API key' })
  apiKeyPrefix!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'SHA-256 (hex) of the client certificate' })
  clientCertSha256!: string | null;
  @ApiProperty({ type: [String] })
  allowedCidrs!: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class CreatedStationDto {
  @ApiProperty({ type: StationDto })
  station!: StationDto;
  @ApiPropertyOptional({ description: 'The station API key (ztpst_...), shown only in this response' })
  apiKey?: string;
}

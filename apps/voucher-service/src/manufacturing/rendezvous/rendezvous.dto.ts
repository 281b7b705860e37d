import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class RendezvousDirectiveDto {
  @ApiPropertyOptional({ example: 'rv.example.com', description: 'Host name (dns or ip, or both)' })
  dns?: string;
  @ApiPropertyOptional({ example: '203.0.113.10', description: 'IPv4 or IPv6 address' })
  ip?: string;
  @ApiProperty({ example: 8040 })
  port!: number;
  @ApiProperty({ enum: ['http', 'https'] })
  protocol!: 'http' | 'https';
  @ApiPropertyOptional({ description: 'Seconds the device waits after trying this directive' })
  delaySec?: number;
  @ApiPropertyOptional({ description: 'The address is the owner onboarding service itself (TO1 skipped)' })
  bypass?: boolean;
}

export class SetRendezvousRequestDto {
  @ApiProperty({ type: [RendezvousDirectiveDto], minItems: 1, maxItems: 16 })
  directives!: RendezvousDirectiveDto[];
}

export class RendezvousDirectivesDto {
  @ApiProperty({ type: [RendezvousDirectiveDto] })
  directives!: RendezvousDirectiveDto[];
  @ApiProperty({
    enum: ['tenant', 'default'],
    description: "tenant: set for this manufacturer; default: this deployment's rendezvous server",
  })
  source!: 'tenant' | 'default';
}

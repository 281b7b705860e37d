import { isIP } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { AuditLog, ManufacturingStationEntity } from '@ztp/persistence';
import { certificateFingerprint, pemToDer, PkiError } from '@ztp/pki';
import { type RandomSource } from '@ztp/protocol';
import { loadManufacturer } from '../load-manufacturer';
import { ManufacturingError } from '../manufacturing-error';
import { RANDOM_SOURCE } from '../manufacturing.tokens';
import { isCleanLabel } from '../text';
import { generateStationKey } from './station-api-key';
import { stationView, type StationView } from './station-view';

export interface CreateStationInput {
  tenantId: string;
  actor: string;
  name: string;
  productionLine?: string | null;
  /** Issue an API key (returned once). */
  apiKey?: boolean;
  /** The station's TLS client certificate (PEM), or its SHA-256 fingerprint (hex). */
  clientCertificate?: string;
  /** Source networks, e.g. ["10.20.0.0/16"]; host bits must be zero. */
  allowedCidrs?: string[];
}

export interface CreatedStation {
  station: StationView;
  /** The station's API key; shown only here. */
  apiKey?: string;
}

const UNIQUE_VIOLATION = '23505';
const INVALID_TEXT = '22P02';

/**
 * Registers a DI station for a manufacturer, with at least one way to authenticate (API key,
 * client certificate, CIDR allow-list); audit event `manufacturing.station-created`.
 */
@Injectable()
export class CreateStation {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    @Inject(RANDOM_SOURCE) private readonly random: RandomSource,
  ) {}

  async execute(input: CreateStationInput): Promise<CreatedStation> {
    if (!isCleanLabel(input.name, 100))
      throw invalid('name must be 1..100 characters without control characters');
    const productionLine = input.productionLine ?? null;
    if (productionLine !== null && !isCleanLabel(productionLine, 100))
      throw invalid('productionLine must be 1..100 characters without control characters');
    const allowedCidrs = (input.allowedCidrs ?? []).map(checkCidr);
    const clientCertSha256 = input.clientCertificate ? fingerprintOf(input.clientCertificate) : null;
    const key = input.apiKey ? generateStationKey(this.random) : undefined;
    if (!key && !clientCertSha256 && allowedCidrs.length === 0)
      throw invalid('a station needs at least one of apiKey, clientCertificate, allowedCidrs');

    try {
      return await this.dataSource.transaction(async (manager) => {
        const tenant = await loadManufacturer(manager, input.tenantId, { lock: true });
        const station = await manager.getRepository(ManufacturingStationEntity).save({
          tenantId: tenant.id,
          name: input.name,
          productionLine,
          apiKeyPrefix: key?.prefix ?? null,
          apiKeySha256: key?.sha256 ?? null,
          clientCertSha256,
          allowedCidrs,
          revokedAt: null,
        });
        const saved = await manager
          .getRepository(ManufacturingStationEntity)
          .findOneByOrFail({ id: station.id });
        await this.audit.append(manager, {
          tenantId: tenant.id,
          eventType: 'manufacturing.station-created',
          subject: `station:${saved.id}`,
          actor: input.actor,
          data: {
            name: saved.name,
            productionLine,
            apiKeyPrefix: saved.apiKeyPrefix,
            clientCertSha256,
            allowedCidrs: saved.allowedCidrs,
          },
        });
        return { station: stationView(saved), ...(key ? { apiKey: key.key } : {}) };
      });
    } catch (err) {
      const code = err instanceof QueryFailedError ? (err.driverError as { code?: string }).code : undefined;
      if (code === UNIQUE_VIOLATION)
        throw new ManufacturingError(
          'station-name-taken',
          `a station named "${input.name}" (or with this client certificate) already exists`,
        );
      if (code === INVALID_TEXT) throw invalid('allowedCidrs must be networks with no host bits set');
      throw err;
    }
  }
}

function invalid(message: string): ManufacturingError {
  return new ManufacturingError('invalid-request', message);
}

function checkCidr(cidr: unknown): string {
  if (typeof cidr !== 'string') throw invalid('allowedCidrs must be strings');
  const [address = '', bits, extra] = cidr.trim().split('/');
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  if (
    family === 0 ||
    extra !== undefined ||
    (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))
  )
    throw invalid(`"${cidr}" is not a CIDR (e.g. 10.20.0.0/16) or an address`);
  return cidr.trim();
}

function fingerprintOf(certificate: string): string {
  const text = certificate.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  if (/^([0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2}$/.test(text)) return text.replace(/:/g, '').toLowerCase();
  try {
    return certificateFingerprint(pemToDer(text, 'CERTIFICATE'));
  } catch (err) {
    if (err instanceof PkiError)
      throw invalid('clientCertificate must be one PEM certificate or a SHA-256 fingerprint (hex)');
    throw err;
  }
}

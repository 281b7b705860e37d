import { type ManufacturingStationEntity } from '@ztp/persistence';

/** A station as the API shows it: never the API key itself (only its public prefix). */
export interface StationView {
  id: string;
  tenantId: string;
  name: string;
  productionLine: string | null;
  /** Public lookup prefix of the station's API key; null without one. */
  apiKeyPrefix: string | null;
  /** SHA-256 (hex) of the station's TLS client certificate; null without one. */
  clientCertSha256: string | null;
  allowedCidrs: string[];
  revokedAt: string | null;
  createdAt: string;
}

export function stationView(station: ManufacturingStationEntity): StationView {
  return {
    id: station.id,
    tenantId: station.tenantId,
    name: station.name,
    productionLine: station.productionLine,
    apiKeyPrefix: station.apiKeyPrefix,
    clientCertSha256: station.clientCertSha256,
    allowedCidrs: [...station.allowedCidrs],
    revokedAt: station.revokedAt?.toISOString() ?? null,
    createdAt: station.createdAt.toISOString(),
  };
}

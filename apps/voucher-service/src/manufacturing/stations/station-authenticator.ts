import { type IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { type AppConfig } from '@ztp/config';
import { ManufacturingStationEntity } from '@ztp/persistence';
import { APP_CONFIG, FdoProtocolError } from '@ztp/platform';
import { clientAddress, fromTrustedProxy, NetworkSet } from './client-address';
import { forwardedCertificateFingerprint } from './client-certificate';
import { STATION_KEY_HEADER, stationKeyMatches, stationKeyPrefix } from './station-api-key';

/** Who sent a DI message, as the FDO endpoint saw it. */
export interface DiClient {
  /** The socket peer (FdoRequest.remoteAddress). */
  readonly remoteAddress: string;
  readonly headers: IncomingHttpHeaders;
}

export type StationAuthMethod = 'api-key' | 'client-certificate' | 'source-address';

export interface AuthenticatedStation {
  readonly stationId: string;
  readonly tenantId: string;
  readonly productionLine: string | null;
  /** How the station was identified. */
  readonly method: StationAuthMethod;
  /** The client address the decision used (after trusted proxies). */
  readonly clientAddress: string;
}

/**
 * Decides which manufacturing station a DI message comes from, or refuses it.
 *
 * The station is identified by the strongest credential presented: an API key (X-Station-Key),
 * else a client certificate forwarded by a trusted proxy, else the client address (the most
 * specific matching CIDR among stations that have neither key nor certificate). Then every factor
 * the station has configured must hold: a station with a key and a CIDR list needs the key from
 * one of those networks. A revoked station, a wrong key or an address matched equally by two
 * stations authenticates nothing.
 *
 * Refusals are FDO error 1 (INVALID_JWT_TOKEN): the spec's code for "the credential that
 * authorises this message is missing or invalid", which is what a missing station credential is;
 * 100/101 would wrongly tell the device its message was malformed or failed a check.
 */
@Injectable()
export class StationAuthenticator {
  private readonly trustedProxies: NetworkSet;
  private readonly clientCertHeader: string;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.trustedProxies = new NetworkSet(config.manufacturing.trustedProxies);
    this.clientCertHeader = config.manufacturing.clientCertHeader;
  }

  async authenticate(client: DiClient): Promise<AuthenticatedStation> {
    const address = clientAddress(client.remoteAddress, client.headers, this.trustedProxies);
    const presentedKey = singleHeader(client.headers[STATION_KEY_HEADER]);
    const certificate = fromTrustedProxy(client.remoteAddress, this.trustedProxies)
      ? forwardedCertificateFingerprint(client.headers, this.clientCertHeader)
      : undefined;

    let station: ManufacturingStationEntity | null;
    let method: StationAuthMethod;
    if (presentedKey !== undefined) {
      method = 'api-key';
      station = await this.byKey(presentedKey);
    } else if (certificate !== undefined) {
      method = 'client-certificate';
      station = await this.repository().findOneBy({ clientCertSha256: certificate, revokedAt: IsNull() });
    } else {
      method = 'source-address';
      station = await this.byAddress(address);
    }
    if (!station || station.revokedAt) throw refused();
    if (
      station.apiKeySha256 &&
      (presentedKey === undefined || !stationKeyMatches(presentedKey, station.apiKeySha256))
    )
      throw refused();
    if (station.clientCertSha256 && certificate !== station.clientCertSha256) throw refused();
    if (station.allowedCidrs.length > 0 && !new NetworkSet(station.allowedCidrs).contains(address))
      throw refused();
    return {
      stationId: station.id,
      tenantId: station.tenantId,
      productionLine: station.productionLine,
      method,
      clientAddress: address,
    };
  }

  private repository() {
    return this.dataSource.getRepository(ManufacturingStationEntity);
  }

  private async byKey(key: string): Promise<ManufacturingStationEntity | null> {
    const prefix = stationKeyPrefix(key);
    return prefix ? this.repository().findOneBy({ apiKeyPrefix: prefix }) : null;
  }

  /** The station whose allow-list matches most specifically; none when two stations tie. */
  private async byAddress(address: string): Promise<ManufacturingStationEntity | null> {
    if (isIP(address) === 0) return null;
    const rows: { id: string; bits: number }[] = await this.dataSource.query(
      `SELECT s.id, max(masklen(c)) AS bits
         FROM manufacturing_station s, unnest(s.allowed_cidrs) c
        WHERE s.revoked_at IS NULL AND s.api_key_prefix IS NULL AND s.client_cert_sha256 IS NULL
          AND $1::inet <<= c
        GROUP BY s.id
        ORDER BY bits DESC
        LIMIT 2`,
      [address],
    );
    const [best, next] = rows;
    if (!best || (next && Number(next.bits) === Number(best.bits))) return null;
    return this.repository().findOneBy({ id: best.id });
  }
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(',') : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

function refused(): FdoProtocolError {
  return FdoProtocolError.badToken(
    'DI refused: no valid manufacturing station credential (station API key, client certificate or allowed source address)',
  );
}

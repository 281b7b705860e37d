import { Inject, Injectable } from '@nestjs/common';
import {
  BundleRenderer,
  decodeOwnerProgram,
  type OwnerProgram,
  type ProgramStep,
  ExpiringCache,
} from '@ztp/persistence';
import { CLOCK, type Clock } from '@ztp/platform';
import { type ServiceInfo } from '@ztp/protocol';
import { DataSource, type EntityManager } from 'typeorm';
import { sqlRows } from '../support/sql-rows';
import { chunkStep, DeliveryFailure } from './service-info-engine';
import { type StepOutcome } from './service-info-progress';

/** The bundle a TO2 session delivers. */
export interface ClaimedBundle {
  revision: number;
  program: OwnerProgram;
}

interface BundleRow {
  revision: number;
  steps: Buffer;
}

/**
 * Delivery of configuration bundles: claims the device's bundle when its ServiceInfo begins
 * (status `delivering`; rendering it on the spot if the device came before the render job),
 * serves the program and the chunked messages of its steps (cached per replica: a bundle revision
 * and a file never change), and records the outcome.
 */
@Injectable()
export class BundleDelivery {
  private readonly programs = new ExpiringCache<string, OwnerProgram>(4096, 10 * 60_000);
  private readonly files = new ExpiringCache<string, Uint8Array>(64, 10 * 60_000);
  private readonly chunks = new ExpiringCache<string, ServiceInfo[]>(1024, 10 * 60_000);
  private readonly renderer: BundleRenderer;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.renderer = new BundleRenderer(dataSource, () => clock.now());
  }

  /**
   * A bundle read before its delivery begins (with the device's voucher at TO2.HelloDevice): its
   * program is kept for the session's ServiceInfo rounds; the caller claims that revision later
   * with `claimRevision`, in the statement that saves its session.
   */
  prefetched(deviceId: string, bundle: { revision: number; steps: Uint8Array }): ClaimedBundle {
    const key = `${deviceId}:${bundle.revision}`;
    let program = this.programs.get(key);
    if (!program) {
      program = decodeOwnerProgram(bundle.steps);
      this.programs.set(key, program);
    }
    return { revision: bundle.revision, program };
  }

  /**
   * Claims a known revision of the device's bundle (status `delivering`) as a CTE of the caller's
   * statement, if `condition` (SQL) holds: it returns a row only if that revision is still current
   * and deliverable. Its parameters are numbered from `firstParam`.
   */
  claimRevision(
    deviceId: string,
    ownerTenantId: string,
    revision: number,
  ): (firstParam: number, condition: string) => { sql: string; params: unknown[] } {
    return (first, condition) => ({
      sql: `UPDATE config_bundle
               SET delivery_status = 'delivering', delivery_started_at = $${first + 3}, status_detail = NULL,
                   results = NULL
             WHERE device_id = $${first} AND owner_tenant_id = $${first + 1} AND revision = $${first + 2}
               AND NOT stale AND NOT (delivery_status = 'failed' AND delivery_started_at IS NULL)
               AND ${condition}
            RETURNING revision`,
      params: [deviceId, ownerTenantId, revision, this.clock.now()],
    });
  }

  async claim(deviceId: string, ownerTenantId: string): Promise<ClaimedBundle> {
    let row = await this.tryClaim(deviceId, ownerTenantId);
    if (!row) {
      const existing: {
        delivery_status: string;
        status_detail: string | null;
        started: boolean;
        fresh: boolean;
      }[] = await this.dataSource.query(
        `SELECT delivery_status, status_detail, delivery_started_at IS NOT NULL AS started,
                  (NOT stale AND owner_tenant_id = $2) AS fresh
             FROM config_bundle WHERE device_id = $1`,
        [deviceId, ownerTenantId],
      );
      const bundle = existing[0];
      if (bundle?.fresh && bundle.delivery_status === 'failed' && !bundle.started)
        throw new DeliveryFailure(bundle.status_detail ?? 'the configuration bundle could not be rendered');
      await this.renderNow(deviceId, ownerTenantId);
      row = await this.tryClaim(deviceId, ownerTenantId);
      if (!row) throw new DeliveryFailure('the configuration bundle could not be rendered');
    }
    const program = decodeOwnerProgram(row.steps);
    this.programs.set(`${deviceId}:${row.revision}`, program);
    return { revision: row.revision, program };
  }

  private async tryClaim(deviceId: string, ownerTenantId: string): Promise<BundleRow | undefined> {
    const result: unknown = await this.dataSource.query(
      `UPDATE config_bundle
          SET delivery_status = 'delivering', delivery_started_at = $3, status_detail = NULL, results = NULL
        WHERE device_id = $1 AND owner_tenant_id = $2 AND NOT stale
          AND NOT (delivery_status = 'failed' AND delivery_started_at IS NULL)
        RETURNING revision, steps`,
      [deviceId, ownerTenantId, this.clock.now()],
    );
    return sqlRows<BundleRow>(result)[0];
  }

  private async renderNow(deviceId: string, ownerTenantId: string): Promise<void> {
    const rows: { guid: string; original_guid: string; serial_number: string | null; device_info: string }[] =
      await this.dataSource.query(
        `SELECT guid, original_guid, serial_number, device_info FROM device WHERE id = $1`,
        [deviceId],
      );
    const device = rows[0];
    if (!device) throw new DeliveryFailure('the device vanished during TO2');
    await this.renderer.renderDevice({
      deviceId,
      ownerTenantId,
      guid: device.guid,
      originalGuid: device.original_guid,
      serialNumber: device.serial_number,
      deviceInfo: device.device_info,
    });
  }

  /** The program of a claimed bundle revision (another replica may have claimed it). */
  async program(deviceId: string, revision: number): Promise<OwnerProgram> {
    return this.programs.getOrLoad(`${deviceId}:${revision}`, async () => {
      const rows: BundleRow[] = await this.dataSource.query(
        `SELECT revision, steps FROM config_bundle WHERE device_id = $1`,
        [deviceId],
      );
      if (rows[0]?.revision !== revision)
        throw new DeliveryFailure('the configuration changed while it was being delivered');
      return decodeOwnerProgram(rows[0].steps);
    });
  }

  async stepMessages(deviceId: string, revision: number, index: number, step: ProgramStep, mtu: number) {
    return this.chunks.getOrLoad(`${deviceId}:${revision}:${index}:${mtu}`, async () =>
      chunkStep(step, step.fileId ? await this.fileContent(step.fileId) : null, mtu),
    );
  }

  private fileContent(fileId: string): Promise<Uint8Array> {
    return this.files.getOrLoad(fileId, async () => {
      const rows: { content: Buffer }[] = await this.dataSource.query(
        `SELECT content FROM config_file WHERE id = $1`,
        [fileId],
      );
      if (!rows[0]) throw new DeliveryFailure(`file ${fileId} no longer exists`);
      return new Uint8Array(rows[0].content);
    });
  }

  async recordFailure(
    manager: EntityManager,
    deviceId: string,
    ownerTenantId: string,
    detail: string,
    results: StepOutcome[],
  ): Promise<void> {
    await manager.query(
      `UPDATE config_bundle SET delivery_status = 'failed', status_detail = $3, results = $4
        WHERE device_id = $1 AND owner_tenant_id = $2`,
      [deviceId, ownerTenantId, detail, JSON.stringify(results)],
    );
  }
}

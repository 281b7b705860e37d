import { Injectable, Logger } from '@nestjs/common';
import {
  DeviceEvents,
  type DeviceEventInput,
  type RecordedDeviceEvent,
  type RecordedProgress,
} from '@ztp/persistence';
import { sztp } from '@ztp/protocol';
import { DataSource, type EntityManager } from 'typeorm';
import { type WebhookEventType } from './webhook-event-types';
import { WebhookEvents } from './webhook-events';

export interface DeviceFailureReport extends DeviceEventInput {
  /** The webhook raised when this is a new event row (not a repeat counted on an earlier one). */
  readonly webhook?: WebhookEventType;
}

/**
 * Where a device's failures (and outcomes) are written: a device event, and for a new one a webhook
 * to the tenant whose history it is, in one transaction. Repeats of the same failure within the
 * coalescing window only count on the earlier event, so a device failing in a loop raises one
 * webhook per window. `reportSoon` is for the protocol hot paths: it never throws and never
 * delays the answer to the device.
 */
@Injectable()
export class DeviceFailureReporter {
  private readonly logger = new Logger('DeviceEvents');
  private readonly events = new DeviceEvents();

  constructor(
    private readonly dataSource: DataSource,
    private readonly webhooks: WebhookEvents,
  ) {}

  async report(
    report: DeviceFailureReport,
    manager?: EntityManager,
  ): Promise<RecordedDeviceEvent | undefined> {
    if (!manager) return this.dataSource.transaction((m) => this.report(report, m));
    const recorded = await this.events.record(manager, report);
    if (recorded?.inserted && recorded.tenantId && report.webhook)
      await this.webhooks.emit(manager, {
        tenantId: recorded.tenantId,
        type: report.webhook,
        subject: recorded.sztpDeviceId
          ? `sztp-device:${recorded.sztpDeviceId}`
          : recorded.guid
            ? `device:${recorded.guid}`
            : undefined,
        data: {
          deviceId: recorded.deviceId ?? recorded.sztpDeviceId,
          guid: recorded.guid,
          protocol: report.protocol,
          event: report.eventType,
          messageType: report.messageType ?? null,
          errorCode: report.errorCode ?? null,
          reason: report.reason ?? null,
          ...('manufacturing' in report.target
            ? { serialNumber: report.target.manufacturing.serialNumber }
            : {}),
        },
      });
    return recorded;
  }

  /**
   * An SZTP progress report, in its transaction: a terminal error is a failure of the device
   * (`sztp.bootstrap_failed`), bootstrap-complete its success; other reports are history enough.
   */
  async sztpProgress(
    manager: EntityManager,
    recorded: RecordedProgress,
  ): Promise<'succeeded' | 'failed' | undefined> {
    const { device, event } = recorded;
    const type = event.progressType as sztp.ProgressType;
    const failed = sztp.TERMINAL_ERROR_PROGRESS_TYPES.includes(type);
    if (!failed && type !== 'bootstrap-complete') return undefined;
    await this.report(
      {
        target: { sztpDeviceId: device.id },
        protocol: 'sztp',
        eventType: failed ? 'sztp.bootstrap-failed' : 'sztp.bootstrap-complete',
        result: failed ? 'failed' : 'succeeded',
        reason: failed ? `the device reported ${type}${event.message ? `: ${event.message}` : ''}` : null,
        data: { progressType: type, server: event.server, serialNumber: device.serialNumber },
        webhook: failed ? 'sztp.bootstrap_failed' : undefined,
      },
      manager,
    );
    return failed ? 'failed' : 'succeeded';
  }

  /** Fire and forget: a failure to record is logged, never the device's problem. */
  reportSoon(report: DeviceFailureReport): void {
    this.report(report).catch((err: unknown) =>
      this.logger.warn(`Could not record ${report.eventType}: ${(err as Error).message}`),
    );
  }
}

import { type EntityManager } from 'typeorm';

/** What DI has just stored, handed to every hook. */
export interface DeviceInitializedEvent {
  /** The new voucher (0 entries, held by the manufacturer, status active). */
  readonly voucherId: string;
  readonly deviceId: string;
  /** 32 lowercase hex digits. */
  readonly guid: string;
  readonly manufacturerTenantId: string;
  readonly stationId: string;
  readonly productionLine: string | null;
  readonly serialNumber: string;
  readonly deviceInfo: string;
}

/**
 * Runs inside the DI transaction, after the device, the voucher and the `device.initialized` audit
 * event are written and before DI.Done is sent: use `manager` for every read and write so the
 * hook's changes commit or roll back with DI. Throwing aborts DI (nothing is stored, the device
 * gets FDO error 500 and may retry), so throw only for real failures.
 */
export type DeviceInitializedHook = (manager: EntityManager, event: DeviceInitializedEvent) => Promise<void>;

/**
 * Injection token for the hooks DI calls, in order, e.g. assignment rules that extend the new
 * voucher to an owner. To plug some in, provide this token (an array of DeviceInitializedHook)
 * from a `@Global()` module imported by the voucher service's root module; without a provider DI
 * runs no hooks.
 */
export const DEVICE_INITIALIZED_HOOKS = Symbol('DEVICE_INITIALIZED_HOOKS');

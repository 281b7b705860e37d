import { type EntityManager, type FindOptionsWhere } from 'typeorm';
import { To0StateEntity, type To0StateStatus } from './to0-state.entity';

/** Automatic TO0 at one rendezvous URL, as other apps show it (e.g. the per-device status API). */
export interface To0TargetStatus {
  voucherId: string;
  guid: string;
  rvUrl: string;
  directiveIndex: number;
  status: To0StateStatus;
  /** Until when the rendezvous server keeps the registration (null before the first success). */
  registeredUntil: Date | null;
  /** The registration is in force now (registered and not past registeredUntil). */
  active: boolean;
  attempts: number;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorCode: number | null;
  nextAttemptAt: Date | null;
}

/**
 * The device's TO0 state as a whole: `registered` when at least one rendezvous server holds a
 * registration in force; otherwise `failing` when an attempt failed, `pending` while the first
 * attempts are due, `stopped` once it onboarded (or left the owner), `none` when TO0 never applied.
 */
export type To0OverallState = 'none' | 'pending' | 'registered' | 'failing' | 'stopped';

export interface To0Status {
  state: To0OverallState;
  /** The latest registeredUntil among registrations in force. */
  registeredUntil: Date | null;
  targets: To0TargetStatus[];
}

export interface To0StatusFilter {
  deviceId?: string;
  voucherId?: string;
  /** 32 lowercase hex digits. */
  guid?: string;
}

/**
 * Reads the automatic TO0 state of a device (all its vouchers), of one voucher, or of a GUID.
 * Read-only; pass any EntityManager (e.g. `dataSource.manager`). At least one filter is required.
 */
export async function readTo0Status(
  manager: EntityManager,
  filter: To0StatusFilter,
  now: Date = new Date(),
): Promise<To0Status> {
  const where: FindOptionsWhere<To0StateEntity> = {};
  if (filter.deviceId !== undefined) where.deviceId = filter.deviceId;
  if (filter.voucherId !== undefined) where.voucherId = filter.voucherId;
  if (filter.guid !== undefined) where.guid = filter.guid;
  if (Object.keys(where).length === 0)
    throw new RangeError('readTo0Status needs a deviceId, voucherId or guid');
  const rows = await manager
    .getRepository(To0StateEntity)
    .find({ where, order: { directiveIndex: 'ASC', rvUrl: 'ASC' } });
  return summarizeTo0Status(rows.map((row) => toTargetStatus(row, now)));
}

export function toTargetStatus(row: To0StateEntity, now: Date): To0TargetStatus {
  return {
    voucherId: row.voucherId,
    guid: row.guid,
    rvUrl: row.rvUrl,
    directiveIndex: row.directiveIndex,
    status: row.status,
    registeredUntil: row.registeredUntil,
    active: row.status !== 'stopped' && row.registeredUntil !== null && row.registeredUntil > now,
    attempts: row.attempts,
    lastAttemptAt: row.lastAttemptAt,
    lastSuccessAt: row.lastSuccessAt,
    lastError: row.lastError,
    lastErrorCode: row.lastErrorCode,
    nextAttemptAt: row.nextAttemptAt,
  };
}

export function summarizeTo0Status(targets: To0TargetStatus[]): To0Status {
  const inForce = targets.filter((t) => t.active);
  const registeredUntil = inForce.reduce<Date | null>(
    (latest, t) => (latest === null || t.registeredUntil! > latest ? t.registeredUntil : latest),
    null,
  );
  let state: To0OverallState;
  if (targets.length === 0) state = 'none';
  else if (inForce.length > 0) state = 'registered';
  else if (targets.every((t) => t.status === 'stopped')) state = 'stopped';
  else if (targets.some((t) => t.status === 'failed' || t.status === 'unsupported')) state = 'failing';
  else state = 'pending';
  return { state, registeredUntil, targets };
}

import { type ConfigPlanEntity } from '../config-plan.entity';
import { type DeviceGroupEntity } from '../device-group.entity';

/** What plan selection looks at for one device. */
export interface PlanTarget {
  guid: string;
  originalGuid: string;
  serialNumber: string | null;
  deviceInfo: string;
}

/** Turns a DeviceInfo glob (`*` any run, `?` one character) into an anchored regular expression. */
export function deviceInfoGlob(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

/** Group member references: `guid:<32 hex>` or `serial:<serial>`. */
export function isMemberOf(group: DeviceGroupEntity, target: PlanTarget): boolean {
  return group.members.some(
    (member) =>
      member === `guid:${target.guid}` ||
      member === `guid:${target.originalGuid}` ||
      (target.serialNumber !== null && member === `serial:${target.serialNumber}`),
  );
}

const byPriority = (a: ConfigPlanEntity, b: ConfigPlanEntity) =>
  a.priority - b.priority || a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);

/**
 * The one plan a device gets: a device plan by GUID (current or original), then a device plan by
 * serial, then a plan of a group it belongs to, then a device-info plan; among several of one kind
 * the lowest priority, then the oldest. Plans are never merged, so what a device receives is always
 * exactly one plan's content.
 */
export function resolvePlan(
  plans: readonly ConfigPlanEntity[],
  groups: ReadonlyMap<string, DeviceGroupEntity>,
  target: PlanTarget,
): ConfigPlanEntity | null {
  const tiers: ((plan: ConfigPlanEntity) => boolean)[] = [
    (plan) =>
      plan.selectorKind === 'device' &&
      plan.deviceGuid !== null &&
      (plan.deviceGuid === target.guid || plan.deviceGuid === target.originalGuid),
    (plan) =>
      plan.selectorKind === 'device' &&
      plan.deviceSerial !== null &&
      target.serialNumber !== null &&
      plan.deviceSerial === target.serialNumber,
    (plan) => {
      const group = plan.selectorKind === 'group' && plan.groupId ? groups.get(plan.groupId) : undefined;
      return group !== undefined && isMemberOf(group, target);
    },
    (plan) =>
      plan.selectorKind === 'device-info' &&
      plan.deviceInfoPattern !== null &&
      deviceInfoGlob(plan.deviceInfoPattern).test(target.deviceInfo),
  ];
  for (const matches of tiers) {
    const found = plans.filter(matches).sort(byPriority);
    if (found.length > 0) return found[0]!;
  }
  return null;
}

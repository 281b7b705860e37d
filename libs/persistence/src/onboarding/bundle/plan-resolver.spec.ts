import { describe, expect, it } from 'vitest';
import { type ConfigPlanEntity } from '../config-plan.entity';
import { type DeviceGroupEntity } from '../device-group.entity';
import { deviceInfoGlob, type PlanTarget, resolvePlan } from './plan-resolver';

let counter = 0;
function plan(fields: Partial<ConfigPlanEntity>): ConfigPlanEntity {
  counter++;
  return {
    id: `00000000-0000-0000-0000-${String(counter).padStart(12, '0')}`,
    ownerTenantId: 't',
    name: `plan-${counter}`,
    selectorKind: 'device',
    deviceGuid: null,
    deviceSerial: null,
    deviceInfoPattern: null,
    groupId: null,
    priority: 100,
    content: {},
    revision: 1,
    createdAt: new Date(1_000_000 + counter),
    updatedAt: new Date(),
    ...fields,
  };
}

const target: PlanTarget = {
  guid: 'a'.repeat(32),
  originalGuid: 'b'.repeat(32),
  serialNumber: 'SN-1',
  deviceInfo: 'acme-router-v2',
};

describe('resolvePlan', () => {
  const group: DeviceGroupEntity = {
    id: 'g1',
    ownerTenantId: 't',
    name: 'lab',
    members: ['serial:SN-1'],
    reonboarding: null,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  const groups = new Map([[group.id, group]]);
  const byInfo = plan({ selectorKind: 'device-info', deviceInfoPattern: 'acme-*-v?' });
  const byGroup = plan({ selectorKind: 'group', groupId: 'g1' });
  const bySerial = plan({ deviceSerial: 'SN-1' });
  const byOriginalGuid = plan({ deviceGuid: 'b'.repeat(32) });

  it('prefers GUID, then serial, then group, then device-info plans', () => {
    expect(resolvePlan([byInfo, byGroup, bySerial, byOriginalGuid], groups, target)).toBe(byOriginalGuid);
    expect(resolvePlan([byInfo, byGroup, bySerial], groups, target)).toBe(bySerial);
    expect(resolvePlan([byInfo, byGroup], groups, target)).toBe(byGroup);
    expect(resolvePlan([byInfo], groups, target)).toBe(byInfo);
    expect(resolvePlan([byInfo], groups, { ...target, deviceInfo: 'other' })).toBeNull();
  });

  it('picks the lowest priority, then the oldest, among plans of one kind', () => {
    const late = plan({ selectorKind: 'device-info', deviceInfoPattern: '*', priority: 10 });
    const early = plan({ selectorKind: 'device-info', deviceInfoPattern: '*', priority: 10 });
    early.createdAt = new Date(0);
    expect(resolvePlan([byInfo, late, early], groups, target)).toBe(early);
  });

  it('does not match a group the device is not in', () => {
    expect(resolvePlan([byGroup], groups, { ...target, serialNumber: 'SN-2' })).toBeNull();
  });
});

describe('deviceInfoGlob', () => {
  it('matches * and ? and treats everything else literally', () => {
    expect(deviceInfoGlob('a.b*').test('a.bcd')).toBe(true);
    expect(deviceInfoGlob('a.b*').test('axbcd')).toBe(false);
    expect(deviceInfoGlob('x?z').test('xyz')).toBe(true);
    expect(deviceInfoGlob('x?z').test('xyyz')).toBe(false);
    expect(deviceInfoGlob('(a)[b]').test('(a)[b]')).toBe(true);
  });
});

/**
 * The re-onboarding policy in force for a device, as an SQL expression over a `device` row (alias
 * `device`) and its holder's `tenant` row (alias `tenant`): the device's own override, else its
 * owner's device groups' (the most restrictive of them when groups disagree: never, then
 * on-request, then same-owner), else the owner's setting, else `never`. A group matches a member
 * reference `guid:<current or original GUID>` or `serial:<serial number>`, as configuration plans
 * match (device-groups.service.ts).
 */
export function reonboardingPolicySql(device: string, tenant: string): string {
  return `COALESCE(
    ${device}.reonboarding,
    (SELECT g.reonboarding FROM device_group g
      WHERE g.owner_tenant_id = ${tenant}.id AND g.reonboarding IS NOT NULL
        AND (('guid:' || ${device}.guid) = ANY (g.members)
             OR ('guid:' || ${device}.original_guid) = ANY (g.members)
             OR ('serial:' || ${device}.serial_number) = ANY (g.members))
      ORDER BY CASE g.reonboarding WHEN 'never' THEN 0 WHEN 'on-request' THEN 1 ELSE 2 END
      LIMIT 1),
    ${tenant}.settings ->> 'reonboarding',
    'never')`;
}

/**
 * True when automatic TO0 registers the device's active voucher now: an owned device always; an
 * onboarded one under `same-owner`, or under `on-request` once armed (`reonboard_requested_at`).
 */
export function to0RegistersSql(device: string, tenant: string): string {
  return `(${device}.lifecycle = 'owned'
    OR (${device}.lifecycle = 'onboarded'
        AND CASE ${reonboardingPolicySql(device, tenant)}
              WHEN 'same-owner' THEN true
              WHEN 'on-request' THEN ${device}.reonboard_requested_at IS NOT NULL
              ELSE false END))`;
}

import { isIP } from 'node:net';
import { type TenantSettings } from '@ztp/persistence';
import { buildRvTo2Addr } from '@ztp/protocol';
import { z } from 'zod';
import { rendezvousInfoFor } from '../manufacturing/rendezvous/rendezvous-directives';

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const address = {
  dns: z.string().regex(HOST_NAME, 'must be a host name').optional(),
  ip: z
    .string()
    .refine((value) => isIP(value) !== 0, 'must be an IPv4 or IPv6 address')
    .optional(),
  port: z.number().int().min(1).max(65535),
  protocol: z.enum(['http', 'https']),
};

const networkAddress = z
  .strictObject(address)
  .refine((value) => value.dns !== undefined || value.ip !== undefined, 'give dns or ip');

const rendezvousDirective = z
  .strictObject({
    ...address,
    delaySec: z.number().int().min(0).max(86_400).optional(),
    bypass: z.boolean().optional(),
  })
  .refine((value) => value.dns !== undefined || value.ip !== undefined, 'give dns or ip');

/**
 * A settings update: each field given replaces the stored one, `null` removes it, absent fields
 * stay. Addresses must turn into valid FDO structures (RendezvousInfo, RVTO2Addr).
 */
export const tenantSettingsPatchSchema = z
  .strictObject({
    rendezvous: z
      .array(rendezvousDirective)
      .min(1)
      .max(16)
      .describe(
        'Manufacturer (or owner, for replacement credentials): rendezvous directives written into vouchers',
      )
      .nullable()
      .optional(),
    ownerOnboarding: z
      .array(networkAddress)
      .min(1)
      .max(16)
      .describe('Owner: where devices reach owner onboarding (TO2), registered at rendezvous by TO0')
      .nullable()
      .optional(),
    credentialReuse: z.boolean().describe('Owner: allow FDO credential reuse in TO2').nullable().optional(),
    reonboarding: z
      .enum(['never', 'same-owner', 'on-request'])
      .describe(
        'Owner: never (default): an onboarded device is not registered at rendezvous again; same-owner: its active voucher is, so a reset device comes back; on-request: only once armed (POST /v1/devices/{guid}/rearm), for the next onboarding. Device groups and devices override it',
      )
      .nullable()
      .optional(),
    etmKeySizes: z
      .enum(['spec', 'go-fdo'])
      .describe(
        "Owner: AES-CBC/CTR key sizes for devices TO2 has not learned yet: spec (default) or go-fdo's; a device that cannot open SetupDevice gets the other next time, and the working one is kept per device",
      )
      .nullable()
      .optional(),
    certificateReenrollGraceSeconds: z
      .number()
      .int()
      .min(0)
      .max(31_536_000)
      .describe(
        'Owner: how long past notAfter an operational certificate may still re-enrol over EST (default EST_REENROLL_GRACE_SECONDS)',
      )
      .nullable()
      .optional(),
    to0WaitSeconds: z
      .number()
      .int()
      .min(60)
      .max(4_294_967_295)
      .describe('Owner: requested TO0 registration lifetime in seconds')
      .nullable()
      .optional(),
    autoAcceptTransfersFrom: z
      .array(z.uuid())
      .max(100)
      .describe(
        'Tenant ids whose transfers to this tenant are accepted at once instead of waiting as incoming',
      )
      .nullable()
      .optional(),
  })
  .superRefine((patch, ctx) => {
    if (patch.rendezvous) {
      try {
        rendezvousInfoFor(patch.rendezvous);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['rendezvous'], message: (err as Error).message });
      }
    }
    patch.ownerOnboarding?.forEach((item, index) => {
      try {
        buildRvTo2Addr(item);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['ownerOnboarding', index], message: (err as Error).message });
      }
    });
  });

export type TenantSettingsPatch = z.output<typeof tenantSettingsPatchSchema>;

/** The stored settings with the patch applied (null removes a field). */
export function applySettingsPatch(current: TenantSettings, patch: TenantSettingsPatch): TenantSettings {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next as TenantSettings;
}

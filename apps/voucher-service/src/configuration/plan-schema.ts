import { z } from 'zod';

const guid = z
  .string()
  .regex(
    /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/,
    {
      message: 'a GUID is 32 hex digits (dashes allowed)',
    },
  )
  .transform((value) => value.replace(/-/g, '').toLowerCase());

const devicePath = z.string().min(1).max(500).describe('Name of the file on the device');

export const planSelectorSchema = z.discriminatedUnion('kind', [
  z
    .strictObject({
      kind: z.literal('device'),
      guid: guid.optional().describe('Current or original GUID'),
      serial: z.string().min(1).max(200).optional(),
    })
    .refine((selector) => selector.guid !== undefined || selector.serial !== undefined, {
      message: 'a device selector needs guid or serial',
    }),
  z.strictObject({
    kind: z.literal('device-info'),
    pattern: z.string().min(1).max(200).describe('Glob over the voucher DeviceInfo: * and ?'),
  }),
  z.strictObject({ kind: z.literal('group'), groupId: z.uuid() }),
]);

export const planContentSchema = z.strictObject({
  certificate: z
    .strictObject({ validityDays: z.number().int().min(1).max(3650).optional() })
    .nullable()
    .optional()
    .describe('Issue an operational certificate from the owner CA (fdo.csr)'),
  files: z
    .array(z.strictObject({ fileId: z.uuid(), path: devicePath }))
    .max(100)
    .optional()
    .describe('Files to send with fdo.download'),
  wget: z
    .array(
      z.strictObject({
        url: z.url({ protocol: /^https?$/ }),
        path: devicePath,
        sha384: z
          .string()
          .regex(/^[0-9a-fA-F]{96}$/)
          .transform((value) => value.toLowerCase())
          .optional(),
      }),
    )
    .max(100)
    .optional()
    .describe('Files the device fetches itself (fdo.wget)'),
  commands: z
    .array(
      z.strictObject({
        command: z.string().min(1).max(500),
        args: z.array(z.string().max(4096)).max(64).optional(),
        mayFail: z.boolean().optional(),
        returnStdout: z.boolean().optional(),
        returnStderr: z.boolean().optional(),
      }),
    )
    .max(50)
    .optional()
    .describe('Commands to run (fdo.command)'),
  uploads: z
    .array(z.strictObject({ path: devicePath, needSha: z.boolean().optional() }))
    .max(50)
    .optional()
    .describe('Files to ask the device for (fdo.upload)'),
});

export const createPlanSchema = z.strictObject({
  name: z.string().min(1).max(100),
  selector: planSelectorSchema,
  priority: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(100)
    .describe('Lower wins among plans of one kind'),
  content: planContentSchema,
});

export const updatePlanSchema = createPlanSchema.partial().strict();

export const groupSchema = z.strictObject({
  name: z.string().min(1).max(100),
  members: z
    .array(
      z
        .string()
        .regex(/^(?:guid:[0-9a-f]{32}|serial:.{1,200})$/, { message: 'guid:<32 hex> or serial:<serial>' }),
    )
    .max(100_000)
    .default([]),
  reonboarding: z
    .enum(['never', 'same-owner', 'on-request'])
    .nullable()
    .optional()
    .describe("Re-onboarding policy for the members, over the owner's setting (null: inherit)"),
});

export const updateGroupSchema = groupSchema.partial().strict();

export type CreatePlanInput = z.output<typeof createPlanSchema>;
export type UpdatePlanInput = z.output<typeof updatePlanSchema>;
export type PlanSelectorInput = z.output<typeof planSelectorSchema>;

import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { RequireOperator } from '@ztp/auth';
import { RV_POLICY_ENTRY_KINDS, type RvPolicyEntryEntity } from '@ztp/persistence';
import { z } from 'zod';
import { PolicyStore, type PolicySettings } from '../policy/policy.store';
import { openApiSchema, parseRequest } from '@ztp/platform';
import { badRequest, notFound } from './problems';

const MAX_WAIT = 0xffffffff;

const settingsSchema = z
  .strictObject({
    openMode: z.boolean(),
    minWaitSeconds: z.number().int().min(0).max(MAX_WAIT),
    maxWaitSeconds: z.number().int().min(1).max(MAX_WAIT),
  })
  .refine((s) => s.minWaitSeconds <= s.maxWaitSeconds, {
    message: 'minWaitSeconds must not exceed maxWaitSeconds',
    path: ['minWaitSeconds'],
  });

const entrySchema = z
  .strictObject({
    kind: z.enum(RV_POLICY_ENTRY_KINDS),
    /** Keys: SHA-256 (hex) of the SubjectPublicKeyInfo. */
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits')
      .transform((s) => s.toLowerCase())
      .optional(),
    /** Keys: a PEM public key (SubjectPublicKeyInfo) or certificate; device-ca: the CA certificate. */
    pem: z
      .string()
      .max(64 * 1024)
      .optional(),
    /** device-ca: the manufacturer keys (SHA-256 hex of the SPKI) whose vouchers the CA's devices carry. */
    manufacturerKeys: z
      .array(
        z
          .string()
          .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits')
          .transform((s) => s.toLowerCase()),
      )
      .min(1)
      .max(100)
      .optional(),
    label: z.string().max(200).optional(),
  })
  .refine((e) => (e.sha256 === undefined) !== (e.pem === undefined), {
    message: 'give either sha256 or pem',
  })
  .refine((e) => e.kind !== 'device-ca' || e.pem !== undefined, {
    message: 'a device CA is given as a PEM certificate',
    path: ['pem'],
  })
  .refine((e) => (e.kind === 'device-ca') === (e.manufacturerKeys !== undefined), {
    message:
      "a device CA names the manufacturer keys its devices' vouchers are signed by (manufacturerKeys); other entries name none",
    path: ['manufacturerKeys'],
  });

const listEntriesSchema = z.strictObject({ kind: z.enum(RV_POLICY_ENTRY_KINDS).optional() });

export interface PolicyEntryView {
  id: string;
  kind: string;
  sha256: string;
  label: string | null;
  /** device-ca only. */
  certificateSubject: string | null;
  /** device-ca only: the manufacturer keys it is bound to. */
  manufacturerKeys: string[];
  createdAt: string;
}

export interface PolicyView extends Omit<PolicySettings, 'updatedAt'> {
  updatedAt: string | null;
  entries: PolicyEntryView[];
}

function entryView(entry: RvPolicyEntryEntity): PolicyEntryView {
  return {
    id: entry.id,
    kind: entry.kind,
    sha256: entry.sha256,
    label: entry.label,
    certificateSubject: entry.certificate ? new X509Certificate(entry.certificate).subject : null,
    manufacturerKeys: entry.manufacturerKeys,
    createdAt: entry.createdAt.toISOString(),
  };
}

function spkiSha256(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** A key from PEM: a public key, or the key of a certificate. */
function keyFromPem(pem: string): KeyObject {
  try {
    return pem.includes('CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  } catch {
    throw badRequest('pem is neither a PEM public key nor a PEM certificate');
  }
}

function caFromPem(pem: string): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw badRequest('pem is not a PEM certificate');
  }
  if (!certificate.ca) throw badRequest('the certificate is not a CA certificate (basicConstraints cA)');
  return certificate;
}

/**
 * The rendezvous acceptance policy (which vouchers TO0 registers): settings and the lists of trusted
 * manufacturer keys, trusted device CAs, and allowed and denied owner keys. Platform operators only.
 * Changes apply to new TO0 registrations within 5 seconds on every replica.
 */
@ApiTags('rendezvous admin')
@Controller('v1/rendezvous/policy')
@RequireOperator()
export class PolicyAdminController {
  constructor(private readonly policies: PolicyStore) {}

  @Get()
  @ApiOperation({ summary: 'The acceptance policy: settings (defaults until saved) and every list entry' })
  @ApiOkResponse({ description: '{ openMode, minWaitSeconds, maxWaitSeconds, saved, updatedAt, entries }' })
  async get(): Promise<PolicyView> {
    const [settings, entries] = await Promise.all([
      this.policies.readSettings(),
      this.policies.listEntries(),
    ]);
    return {
      ...settings,
      updatedAt: settings.updatedAt?.toISOString() ?? null,
      entries: entries.map(entryView),
    };
  }

  @Put()
  @ApiOperation({
    summary: 'Saves the policy settings',
    description:
      'openMode: with no trusted manufacturer, device CA or allowed owner listed, accept any verified ' +
      'voucher (true) or none (false). Requested registration times are cut to maxWaitSeconds and ' +
      'raised to minWaitSeconds.',
  })
  @ApiBody({ schema: openApiSchema(settingsSchema) })
  @ApiOkResponse({ description: 'The policy' })
  async put(@Body() body: unknown): Promise<PolicyView> {
    const settings = parseRequest(settingsSchema, body);
    if (settings.openMode && !this.policies.openModeAllowed())
      throw badRequest('openMode is not available in production on a PostgreSQL server');
    await this.policies.saveSettings(settings);
    return this.get();
  }

  @Get('entries')
  @ApiOperation({ summary: 'Lists policy entries, optionally of one kind' })
  @ApiQuery({ name: 'kind', required: false, enum: RV_POLICY_ENTRY_KINDS })
  @ApiOkResponse({ description: '{ items }' })
  async list(@Query() query: Record<string, string>): Promise<{ items: PolicyEntryView[] }> {
    const { kind } = parseRequest(listEntriesSchema, query, 'query');
    return { items: (await this.policies.listEntries(kind)).map(entryView) };
  }

  @Post('entries')
  @ApiOperation({
    summary: 'Adds a trusted manufacturer key, a trusted device CA, or an allowed or denied owner key',
    description:
      'Keys are named by the SHA-256 (hex) of their SubjectPublicKeyInfo (`sha256`) or given as PEM ' +
      '(public key or certificate); a device CA is its PEM certificate. Adding an entry that exists ' +
      'answers 200 with it.',
  })
  @ApiBody({ schema: openApiSchema(entrySchema) })
  @ApiCreatedResponse({ description: 'The new entry' })
  @ApiOkResponse({ description: 'The entry already listed' })
  async add(
    @Body() body: unknown,
    @Res({ passthrough: true }) res: { status(code: number): unknown },
  ): Promise<PolicyEntryView> {
    const request = parseRequest(entrySchema, body);
    const { entry, created } =
      request.kind === 'device-ca'
        ? await this.policies.addEntry({
            kind: request.kind,
            certificate: new Uint8Array(caFromPem(request.pem!).raw),
            manufacturerKeys: request.manufacturerKeys ?? [],
            label: request.label,
          })
        : await this.policies.addEntry({
            kind: request.kind,
            sha256: request.sha256 ?? spkiSha256(keyFromPem(request.pem!)),
            label: request.label,
          });
    res.status(created ? 201 : 200);
    return entryView(entry);
  }

  @Delete('entries/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Removes a policy entry' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiNotFoundResponse({ description: 'No such entry (RFC 7807 problem)' })
  async remove(@Param('id') id: string): Promise<void> {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id);
    if (!uuid || !(await this.policies.removeEntry(id))) throw notFound(`No policy entry ${id}`);
  }
}

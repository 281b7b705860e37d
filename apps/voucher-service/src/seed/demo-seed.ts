import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApiKeyService } from '@ztp/auth';
import { type AppConfig } from '@ztp/config';
import { type NetworkAddress } from '@ztp/persistence';
import { KEY_SPECS } from '@ztp/pki';
import { APP_CONFIG } from '@ztp/platform';
import { AssignmentRuleService } from '../assignment/assignment-rule.service';
import { InitializeManufacturerPki } from '../manufacturing/pki/initialize-manufacturer-pki.use-case';
import { CreateStation } from '../manufacturing/stations/create-station.use-case';
import { OwnerKeyService } from '../owner-keys/owner-key.service';
import { TenantService } from '../tenants/tenant.service';

export const DEMO_MANUFACTURER_SLUG = 'demo-manufacturer';
export const DEMO_OWNER_SLUG = 'demo-owner';
export const DEMO_CREDENTIALS_FILE = 'demo-credentials.txt';

const ACTOR = 'system:demo-seed';

/** The http(s) URL of an app as an FDO address (IP or DNS name, port, protocol). */
export function addressOf(publicUrl: string): NetworkAddress {
  const url = new URL(publicUrl);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : protocol === 'https' ? 443 : 80;
  return isIP(host) ? { ip: host, port, protocol } : { dns: host, port, protocol };
}

/**
 * The embedded default's demo: on the first start (DEMO_SEED, by default only on the embedded
 * database) it creates a manufacturer with its PKI, a DI station for this machine (no key needed
 * from 127.0.0.0/8 and ::1; a second station with an API key), rendezvous directives pointing at
 * the local rendezvous app, a voucher-signing key per device key type and an assignment rule
 * handing every DI voucher to a demo owner; and the demo owner with an owner key per key type, its owner-onboarding address (the local app) and auto-acceptance of
 * the manufacturer's transfers. So `device-sim di` then `device-sim onboard` work with no API call.
 * Credentials (operator, both tenants' admin keys, the station key) are written once to
 * DATA_DIR/demo-credentials.txt (0600), which the launcher prints.
 */
@Injectable()
export class DemoSeed implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoSeed');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tenants: TenantService,
    private readonly apiKeys: ApiKeyService,
    private readonly ownerKeys: OwnerKeyService,
    private readonly rules: AssignmentRuleService,
    private readonly initializePki: InitializeManufacturerPki,
    private readonly createStation: CreateStation,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.ledger.demoSeed) return;
    if (await this.tenants.find(DEMO_MANUFACTURER_SLUG)) {
      if (!existsSync(this.credentialsFile()))
        this.logger.warn(
          `The demo tenants exist but ${this.credentialsFile()} does not; their keys were shown once`,
        );
      return;
    }
    const text = await this.seed();
    writeFileSync(this.credentialsFile(), text, { mode: 0o600 });
    chmodSync(this.credentialsFile(), 0o600);
    this.logger.log(`Demo tenants created; credentials in ${this.credentialsFile()}`);
  }

  credentialsFile(): string {
    return join(this.config.dataDir, DEMO_CREDENTIALS_FILE);
  }

  private async seed(): Promise<string> {
    const rendezvous = addressOf(this.config.apps.rendezvous.publicUrl);
    const onboarding = addressOf(this.config.apps.ownerOnboarding.publicUrl);
    const operator = await this.apiKeys.create({
      tenantId: null,
      name: 'demo operator',
      roles: [],
      createdBy: ACTOR,
    });
    const manufacturer = await this.tenants.create(
      {
        kind: 'manufacturer',
        name: 'Demo Manufacturer',
        slug: DEMO_MANUFACTURER_SLUG,
        settings: { rendezvous: [rendezvous] },
      },
      ACTOR,
    );
    const owner = await this.tenants.create(
      {
        kind: 'owner',
        name: 'Demo Owner',
        slug: DEMO_OWNER_SLUG,
        settings: {
          ownerOnboarding: [onboarding],
          autoAcceptTransfersFrom: [manufacturer.id],
          // A device reset after its first onboarding comes back to the demo owner with no API call.
          reonboarding: 'same-owner',
        },
      },
      ACTOR,
    );
    await this.initializePki.execute({ tenantId: manufacturer.id, actor: ACTOR });
    await this.createStation.execute({
      tenantId: manufacturer.id,
      actor: ACTOR,
      name: 'demo-station-local',
      productionLine: 'demo-line',
      allowedCidrs: ['127.0.0.0/8', '::1/128'],
    });
    const keyed = await this.createStation.execute({
      tenantId: manufacturer.id,
      actor: ACTOR,
      name: 'demo-station-key',
      productionLine: 'demo-line',
      apiKey: true,
    });
    // A voucher-signing key and an owner key of every device key type, so any device (go-fdo's
    // default is P-384 with ECDH384; ASYMKEX needs RSA) gets a voucher whose keys fit it.
    const ownerKeys = await Promise.all(
      KEY_SPECS.map(async (spec) => {
        if (spec !== 'P-256')
          await this.ownerKeys.create(manufacturer.id, { name: `demo-voucher-key-${spec}`, spec }, ACTOR);
        return this.ownerKeys.create(owner.id, { name: `demo-owner-key-${spec}`, spec }, ACTOR);
      }),
    );
    await this.rules.create(
      manufacturer.id,
      { name: 'demo: every DI device to demo-owner', targetTenant: owner.id, priority: 100, enabled: true },
      ACTOR,
    );
    const manufacturerAdmin = await this.apiKeys.create({
      tenantId: manufacturer.id,
      name: 'demo admin',
      roles: ['tenant:admin'],
      createdBy: ACTOR,
    });
    const ownerAdmin = await this.apiKeys.create({
      tenantId: owner.id,
      name: 'demo admin',
      roles: ['tenant:admin'],
      createdBy: ACTOR,
    });
    const voucherService = this.config.apps.voucherService.publicUrl;
    return [
      'Demo tenants (created on the first start; these keys are shown nowhere else):',
      `  operator API key:                ${operator.key}`,
      `  demo-manufacturer (${manufacturer.id})`,
      `    admin API key:                 ${manufacturerAdmin.key}`,
      `    DI station "demo-station-local": no key needed from this machine (127.0.0.0/8, ::1)`,
      `    DI station "demo-station-key":   X-Station-Key ${keyed.apiKey}`,
      `    rendezvous directive:          ${this.config.apps.rendezvous.publicUrl}`,
      `    assignment rule:               every DI device goes to demo-owner (accepted at once)`,
      `  demo-owner (${owner.id})`,
      `    admin API key:                 ${ownerAdmin.key}`,
      ...ownerKeys.map((key) => `${`    owner key ${key.spec}:`.padEnd(35)}${key.id}`),
      `    owner onboarding address:      ${this.config.apps.ownerOnboarding.publicUrl}`,
      `Try: device-sim di --url ${voucherService}   then   device-sim onboard`,
      `     curl -H "Authorization: Bearer <demo-owner admin key>" ${voucherService}/v1/vouchers`,
      '',
    ].join('\n');
  }
}

/**
 * What the launcher prints after its banner: the demo credentials in full on the start that
 * created them, afterwards where they are kept.
 */
export function demoCredentialsNotice(config: AppConfig): string {
  const file = join(config.dataDir, DEMO_CREDENTIALS_FILE);
  if (!config.ledger.demoSeed || !existsSync(file)) return '';
  const startedAt = Date.now() - process.uptime() * 1000;
  return statSync(file).mtimeMs >= startedAt ? readFileSync(file, 'utf8') : `Demo credentials: ${file}\n`;
}

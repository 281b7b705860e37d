import { type Command } from 'commander';
import { CliFailure, type CliIo } from '../io';

/** Where the voucher service is and who asks: flags, else ZTP_URL / ZTP_API_KEY. */
export interface ApiOptions {
  url?: string;
  apiKey?: string;
}

export type LifecycleAction = 'disable' | 'enable' | 'decommission' | 'rearm';

const DEFAULT_URL = 'http://127.0.0.1:8041';

/** How the CLI reaches the REST API (fetch in production, a stand-in in tests). */
export type ApiFetch = (url: string, init: RequestInit) => Promise<Response>;

function endpoint(options: ApiOptions, env: NodeJS.ProcessEnv): { url: string; apiKey: string } {
  const apiKey = options.apiKey ?? env['ZTP_API_KEY'];
  if (!apiKey)
    throw new CliFailure('give --api-key or set ZTP_API_KEY (an owner API key with vouchers:write)');
  return { url: (options.url ?? env['ZTP_URL'] ?? DEFAULT_URL).replace(/\/+$/, ''), apiKey };
}

/**
 * One lifecycle call: POST /v1/devices/{guid}/{action} (or PUT .../reonboarding). Prints the
 * device's lifecycle view as JSON; a refusal is the problem's detail on stderr, exit 1.
 */
export async function callLifecycle(
  io: CliIo,
  request: { method: 'POST' | 'PUT'; path: string; body?: unknown },
  options: ApiOptions,
  env: NodeJS.ProcessEnv = process.env,
  fetchImpl: ApiFetch = fetch,
): Promise<Record<string, unknown>> {
  const { url, apiKey } = endpoint(options, env);
  let response: Response;
  try {
    response = await fetchImpl(`${url}${request.path}`, {
      method: request.method,
      headers: {
        Authorization: `Bearer ${apiKey}`,
        ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    });
  } catch (err) {
    throw new CliFailure(`cannot reach ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { detail: text };
  }
  if (!response.ok)
    throw new CliFailure(
      `${request.method} ${request.path}: ${response.status} ${String(body['title'] ?? '')}: ${String(body['detail'] ?? text)}`.trim(),
    );
  io.stdout(`${JSON.stringify(body, null, 2)}\n`);
  return body;
}

const GUID = /^[0-9a-fA-F]{32}$/;

function devicePath(guid: string, action: string): string {
  if (!GUID.test(guid)) throw new CliFailure(`${guid} is not a GUID (32 hex digits)`);
  return `/v1/devices/${guid.toLowerCase()}/${action}`;
}

const DESCRIPTIONS: Record<LifecycleAction, string> = {
  disable: 'disable a device (TO1/TO2/TO0 refused until enabled; nothing is lost)',
  enable: 'enable a disabled device (back to the state it left)',
  decommission:
    'decommission a device for good (voucher retired, registrations withdrawn, certificates revoked)',
  rearm: 'arm an on-request re-onboarding: the device is registered at rendezvous until its next TO2',
};

/**
 * `ztp device disable|enable|decommission|rearm GUID` and `ztp device reonboarding GUID POLICY`:
 * the owner's lifecycle moves over the REST API (ARCHITECTURE.md, "Device lifecycle"). Added to
 * an existing `device` command group when another area made one.
 */
export function registerDeviceLifecycleCommands(program: Command, io: CliIo): void {
  const device =
    program.commands.find((command) => command.name() === 'device') ??
    program.command('device').description('devices in the ledger (needs the voucher service)');
  const withApi = (command: Command) =>
    command
      .option('--url <url>', `voucher service base URL (default ZTP_URL or ${DEFAULT_URL})`)
      .option('--api-key <key>', 'owner API key (default ZTP_API_KEY)');
  for (const action of Object.keys(DESCRIPTIONS) as LifecycleAction[])
    withApi(device.command(`${action} <guid>`).description(DESCRIPTIONS[action])).action(
      async (guid: string, options: ApiOptions) => {
        await callLifecycle(io, { method: 'POST', path: devicePath(guid, action) }, options);
      },
    );
  withApi(
    device
      .command('reonboarding <guid> <policy>')
      .description("set a device's re-onboarding policy: never, same-owner, on-request, or inherit"),
  ).action(async (guid: string, policy: string, options: ApiOptions) => {
    if (!['never', 'same-owner', 'on-request', 'inherit'].includes(policy))
      throw new CliFailure(`policy must be never, same-owner, on-request or inherit, not ${policy}`);
    await callLifecycle(
      io,
      {
        method: 'PUT',
        path: devicePath(guid, 'reonboarding'),
        body: { reonboarding: policy === 'inherit' ? null : policy },
      },
      options,
    );
  });
}

import { type Command } from 'commander';
import { CliFailure, type CliIo } from '../io';
import { type ApiFetch } from './device-lifecycle';

const DEFAULT_URL = 'http://127.0.0.1:8041';

export interface FleetOptions {
  url?: string;
  apiKey?: string;
  output?: string;
}

type Row = Record<string, unknown>;

/** GET `path` on the voucher service (flags, else ZTP_URL / ZTP_API_KEY); the JSON answer or a CliFailure. */
export async function getJson(
  path: string,
  options: FleetOptions,
  env: NodeJS.ProcessEnv = process.env,
  fetchImpl: ApiFetch = fetch,
): Promise<Row> {
  const apiKey = options.apiKey ?? env['ZTP_API_KEY'];
  if (!apiKey) throw new CliFailure('give --api-key or set ZTP_API_KEY');
  const url = (options.url ?? env['ZTP_URL'] ?? DEFAULT_URL).replace(/\/+$/, '');
  let response: Response;
  try {
    response = await fetchImpl(`${url}${path}`, {
      method: 'GET',
      headers: { Authorization: `Bearer ${apiKey}` },
    });
  } catch (err) {
    throw new CliFailure(`cannot reach ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = await response.text();
  const body = (() => {
    try {
      return JSON.parse(text) as Row;
    } catch {
      return { detail: text };
    }
  })();
  if (!response.ok) throw new CliFailure(`GET ${path}: ${response.status} ${String(body['detail'] ?? text)}`);
  return body;
}

/** `--output json` (the API's answer) or `table` (the given columns, one row per item). */
export function render(
  io: CliIo,
  body: Row,
  output: string | undefined,
  columns: [string, (row: Row) => unknown][],
): void {
  if (output === undefined || output === 'table') {
    const items = (body['items'] as Row[] | undefined) ?? [];
    const cells = [
      columns.map(([title]) => title),
      ...items.map((item) => columns.map(([, get]) => String(get(item) ?? '-'))),
    ];
    const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
    for (const row of cells)
      io.stdout(
        `${row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
      );
    if (body['nextCursor']) io.stdout(`(more: --cursor ${String(body['nextCursor'])})\n`);
    return;
  }
  if (output === 'json') return io.stdout(`${JSON.stringify(body, null, 2)}\n`);
  throw new CliFailure(`--output must be json or table, not ${output}`);
}

const query = (values: Record<string, string | undefined>) => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
};

/** `ztp device list` and `ztp device events ID|GUID`: the fleet view over the REST API. */
export function registerFleetCommands(program: Command, io: CliIo, fetchImpl: ApiFetch = fetch): void {
  const device =
    program.commands.find((command) => command.name() === 'device') ??
    program.command('device').description('devices in the ledger (needs the voucher service)');
  const common = (command: Command) =>
    command
      .option('--url <url>', `voucher service base URL (default ZTP_URL or ${DEFAULT_URL})`)
      .option('--api-key <key>', 'API key (default ZTP_API_KEY)')
      .option('-o, --output <format>', 'json or table (default table)')
      .option('--cursor <cursor>', 'the next page')
      .option('--limit <n>', 'items per page');
  common(
    device
      .command('list')
      .description('the fleet, newest first: lifecycle, last result, last failure with its FDO error code')
      .option('--lifecycle <state>')
      .option('--protocol <fdo|sztp>')
      .option('--group <id>')
      .option('--result <succeeded|failed|none>')
      .option('--error-code <code>')
      .option('--updated-since <iso>')
      .option('-q, --query <text>', 'serial number substring or a whole GUID'),
  ).action(async (options: FleetOptions & Record<string, string | undefined>) => {
    const path = `/v1/devices${query({
      lifecycle: options['lifecycle'],
      protocol: options['protocol'],
      group: options['group'],
      result: options['result'],
      errorCode: options['errorCode'],
      updatedSince: options['updatedSince'],
      q: options['query'],
      cursor: options['cursor'],
      limit: options['limit'],
    })}`;
    render(io, await getJson(path, options, process.env, fetchImpl), options.output, [
      ['ID', (row) => row['id']],
      ['PROTOCOL', (row) => row['protocol']],
      ['GUID', (row) => row['guid']],
      ['SERIAL', (row) => row['serialNumber']],
      ['STATE', (row) => row['lifecycle'] ?? row['bootstrapState']],
      ['RESULT', (row) => row['lastResult']],
      ['LAST EVENT', (row) => (row['lastEvent'] as Row | null)?.['type']],
      ['CODE', (row) => (row['lastEvent'] as Row | null)?.['errorCode']],
      ['REASON', (row) => (row['lastEvent'] as Row | null)?.['reason']],
    ]);
  });
  common(
    device
      .command('events <ref>')
      .description("a device's history (device id or any GUID it had), oldest first"),
  ).action(async (ref: string, options: FleetOptions) => {
    const path = `/v1/devices/${encodeURIComponent(ref)}/events${query({ cursor: (options as Row)['cursor'] as string | undefined, limit: (options as Row)['limit'] as string | undefined })}`;
    render(io, await getJson(path, options, process.env, fetchImpl), options.output, [
      ['TIME', (row) => row['occurredAt']],
      ['TYPE', (row) => row['type']],
      ['RESULT', (row) => row['result']],
      ['MSG', (row) => row['messageType']],
      ['CODE', (row) => row['errorCode']],
      ['REPEATS', (row) => row['repeats']],
      ['REASON', (row) => row['reason']],
    ]);
  });
}

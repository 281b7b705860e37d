import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import { createKeepAliveFetch } from '@ztp/fdo-client';
import {
  DEFAULT_DI_URL,
  type DeviceKeyOptions,
  deviceKeyOptions,
  resolveDeviceKeyOptions,
} from '../device-options';
import { FLOWS } from '../flows';
import { SimFailure } from '../io';
import { progressFor } from '../run/progress';
import { runFleet } from '../run/run-fleet';
import { formatSummary, type RunSummary } from '../run/run-summary';
import { type CommandContext, type DeviceSimCommand } from './command';

export interface RunCommandOptions extends DeviceKeyOptions {
  count: number;
  concurrency: number;
  flow: string;
  url: string;
  stationKey?: string;
  deviceInfo: string;
  /** Serials are <prefix><index>; default SIM-<random>-. */
  serialPrefix?: string;
  outDir?: string;
  /** Options the flows declared. */
  [flowOption: string]: unknown;
}

function positiveInteger(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max)
      throw new InvalidArgumentError(`expected an integer 1..${max}`);
    return n;
  };
}

/**
 * `device-sim run`: many simulated devices through one flow, with live progress and a summary
 * (successes, failures by error, latency percentiles). Returns the summary.
 */
export async function runRunCommand(
  options: RunCommandOptions,
  context: CommandContext,
): Promise<RunSummary> {
  const flow = FLOWS.find((candidate) => candidate.name === options.flow);
  if (!flow)
    throw new SimFailure(`unknown flow ${options.flow}; known: ${FLOWS.map((f) => f.name).join(', ')}`);
  const deviceKey = resolveDeviceKeyOptions(options);
  if (options.outDir) mkdirSync(options.outDir, { recursive: true });
  const prefix = options.serialPrefix ?? `SIM-${randomBytes(4).toString('hex')}-`;
  // A fleet reuses connections: the global fetch costs the simulator more CPU than the exchange.
  const connections = context.fetch ? undefined : createKeepAliveFetch({ maxSockets: options.concurrency });
  const summary = await runFleet(
    {
      flow,
      count: options.count,
      concurrency: options.concurrency,
      serialOf: (index) => `${prefix}${index}`,
      context: {
        diUrl: options.url,
        stationKey: options.stationKey,
        deviceInfo: options.deviceInfo,
        deviceKey,
        outDir: options.outDir,
        options,
        fetch: context.fetch ?? connections?.fetch,
      },
    },
    progressFor(context.io, flow.name),
  ).finally(() => connections?.close());
  context.io.stdout(
    context.io.interactive ? formatSummary(summary) : `${JSON.stringify({ event: 'summary', ...summary })}\n`,
  );
  return summary;
}

export const runCommand: DeviceSimCommand = {
  name: 'run',
  register(program, context) {
    const command = program
      .command('run')
      .description(
        'drive many simulated devices through a flow and summarise (progress bar on a terminal, JSON lines otherwise)',
      )
      .requiredOption('--count <n>', 'number of devices', positiveInteger(1_000_000))
      .option('--concurrency <n>', 'devices in flight at once', positiveInteger(10_000), 4)
      .addOption(
        new Option('--flow <flow>', 'what each device does')
          .choices(FLOWS.map((flow) => flow.name))
          .default('di'),
      )
      .option('--url <url>', 'voucher service base URL (DI)', DEFAULT_DI_URL)
      .option('--station-key <key>', 'station API key for DI (X-Station-Key)')
      .option('--device-info <text>', 'DeviceInfo string', 'device-sim')
      .option('--serial-prefix <prefix>', 'serial numbers are <prefix><index> (default SIM-<random>-)')
      .option(
        '--out-dir <dir>',
        'write each device credential to <dir>/<serial>.json (failed devices too: the DI credential, to retry with onboard --credential)',
      );
    for (const option of deviceKeyOptions()) command.addOption(option);
    for (const flow of FLOWS) for (const option of flow.options ?? []) command.addOption(option);
    command.action(async (options: RunCommandOptions) => {
      const summary = await runRunCommand(options, context);
      if (summary.failed > 0) throw new SimFailure(`${summary.failed} of ${summary.devices} devices failed`);
    });
  },
};

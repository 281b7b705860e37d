import { type DeviceSimCommand } from './command';
import { diCommand } from './di';
import { runCommand } from './run';
import { sztpCommand } from './sztp';
import { onboardCommand } from './onboard';
import { to2Command } from './to2';
import { to1Command } from './to1';
import { renewCommand } from './renew';

export type { CommandContext, DeviceSimCommand } from './command';

/**
 * Every `device-sim` command, in help order. To add one: write commands/<name>.ts exporting a
 * DeviceSimCommand and append it here (one line).
 */
export const COMMANDS: readonly DeviceSimCommand[] = [
  diCommand,
  runCommand,
  sztpCommand,
  to2Command,
  onboardCommand,
  to1Command,
  renewCommand,
];

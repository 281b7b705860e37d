import { type Command } from 'commander';
import { type Fetch } from '@ztp/fdo-client';
import { type SimIo } from '../io';

/** What every command gets: where to write, and (in tests) the HTTP client to use. */
export interface CommandContext {
  readonly io: SimIo;
  /** Default: the global fetch. */
  readonly fetch?: Fetch;
}

/** One `device-sim <name>` command: adds itself, with its options and action, to the program. */
export interface DeviceSimCommand {
  readonly name: string;
  register(program: Command, context: CommandContext): void;
}

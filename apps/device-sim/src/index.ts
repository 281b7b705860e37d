export { COMMANDS, type CommandContext, type DeviceSimCommand } from './commands';
export { runDiCommand, type DiCommandOptions } from './commands/di';
export { runRunCommand, type RunCommandOptions } from './commands/run';
export { FLOWS, type DeviceFlow, type FlowContext, type FlowDevice, type FlowOutcome } from './flows';
export { createProgram, runDeviceSim } from './program';
export { type SimIo, SimFailure } from './io';
export { type RunSummary } from './run/run-summary';

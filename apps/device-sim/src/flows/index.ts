import { diFlow } from './di-flow';
import { type DeviceFlow } from './flow';
import { onboardFlow } from './onboard-flow';

export type { DeviceFlow, FlowContext, FlowDevice, FlowOutcome } from './flow';

/** The flows `device-sim run --flow <name>` can drive, by name. Append new ones here. */
export const FLOWS: readonly DeviceFlow[] = [diFlow, onboardFlow];

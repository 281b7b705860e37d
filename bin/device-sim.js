#!/usr/bin/env node
// Same as `npx device-sim`: the launcher lives in apps/device-sim/bin.
import '../apps/device-sim/bin/device-sim.js';

import { runDeviceSim } from './program';

process.exitCode = await runDeviceSim(process.argv.slice(2));

import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const launcher = fileURLToPath(new URL('../../../bin/device-sim.js', import.meta.url));
const run = promisify(execFile);

describe('bin/device-sim.js', () => {
  it('runs from any working directory, not only the repository root', async () => {
    const printed = await run(process.execPath, [launcher, '--help'], { cwd: tmpdir() });
    expect(printed.stdout).toMatch(/^Usage: device-sim/);
  });
});

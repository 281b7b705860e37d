import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fixturePath } from '@ztp/protocol/fdo/voucher/fixtures.testing';
import { describe, expect, it } from 'vitest';

const launcher = fileURLToPath(new URL('../../../bin/ztp.js', import.meta.url));
const run = promisify(execFile);

describe('bin/ztp.js', () => {
  it('runs from any working directory and prints its version', async () => {
    const { version } = JSON.parse(
      await readFile(new URL('../../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    };
    const printed = await run(process.execPath, [launcher, '--version'], { cwd: tmpdir() });
    expect(printed.stdout.trim()).toBe(version);
  });

  it('runs the CLI as a process: exit 0 for a valid voucher, 1 with the reason for an FDO 1.0 one', async () => {
    const valid = await run(process.execPath, [
      launcher,
      'voucher',
      'verify',
      fixturePath('fdo/go-fdo/ov.pem'),
    ]);
    expect(valid.stdout).toMatch(/^valid: GUID 66b2146ffec53ca6ad017625990572ce/);
    const refused = await run(process.execPath, [
      launcher,
      'voucher',
      'verify',
      fixturePath('fdo/fdo-rs/v100-voucher1.pem'),
    ]).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(/invalid voucher \(fdo-1\.0\)/);
  });
});

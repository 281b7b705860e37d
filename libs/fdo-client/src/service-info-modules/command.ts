import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { asArray, asBool, asBytes, asText, decode, type CborValue } from '@ztp/protocol';
import { type DeviceServiceInfoModule, type ModuleEventSink, type Respond } from './device-module';
import { type DeviceSandbox } from './sandbox';

const CHUNK = 1014;
const MAX_OUTPUT = 256 * 1024;

export interface CommandModuleOptions {
  /** Longest a command may run. Default 60 s. */
  timeoutMs?: number;
}

/**
 * fdo.command on a simulated device, confined: the command must be an executable file inside the
 * device folder (a bare name or a relative path, e.g. a script the owner sent with fdo.download);
 * anything else is refused with exit code 126. It runs without a shell, in the device folder, with
 * a minimal environment, under a timeout. stdout/stderr go back when asked, then `exitcode`.
 */
export class CommandModule implements DeviceServiceInfoModule {
  readonly name = 'fdo.command';
  private command = '';
  private args: string[] = [];
  private returnStdout = false;
  private returnStderr = false;

  constructor(
    private readonly sandbox: DeviceSandbox,
    private readonly events: ModuleEventSink,
    private readonly options: CommandModuleOptions = {},
  ) {}

  async receive(message: string, body: CborValue, respond: Respond): Promise<void> {
    switch (message) {
      case 'command':
        this.command = asText(body, 'fdo.command:command');
        this.args = [];
        this.returnStdout = false;
        this.returnStderr = false;
        return;
      case 'args':
        // A byte string wrapping a CBOR array of text (go-fdo cbor.Bstr[[]string]).
        this.args = asArray(decode(asBytes(body, 'fdo.command:args')), 'fdo.command:args').map((arg, i) =>
          asText(arg, `fdo.command:args[${i}]`),
        );
        return;
      case 'return_stdout':
        this.returnStdout = asBool(body, 'fdo.command:return_stdout');
        return;
      case 'return_stderr':
        this.returnStderr = asBool(body, 'fdo.command:return_stderr');
        return;
      case 'execute':
        await this.execute(respond);
        return;
      default:
        return;
    }
  }

  private async execute(respond: Respond): Promise<void> {
    const executable = this.confine(this.command);
    if (!executable) {
      this.events({
        module: this.name,
        kind: 'refused',
        detail: `${this.command}: not an executable in the device folder`,
      });
      if (this.returnStderr)
        respond('stderr', Buffer.from(`refused: ${this.command} is not in the device folder\n`));
      respond('exitcode', 126);
      return;
    }
    const { code, stdout, stderr } = await this.run(executable);
    if (this.returnStdout) for (const chunk of chunks(stdout)) respond('stdout', chunk);
    if (this.returnStderr) for (const chunk of chunks(stderr)) respond('stderr', chunk);
    respond('exitcode', code);
    this.events({
      module: this.name,
      kind: 'command-exited',
      detail: `${this.command} ${this.args.join(' ')}: ${code}`,
    });
  }

  private confine(command: string): string | null {
    try {
      const path = this.sandbox.resolve(command);
      if (!statSync(path).isFile()) return null;
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      return null;
    }
  }

  private run(executable: string): Promise<{ code: number; stdout: Buffer; stderr: Buffer }> {
    return new Promise((resolve) => {
      const child = spawn(executable, this.args, {
        cwd: this.sandbox.root,
        shell: false,
        env: { PATH: '/usr/bin:/bin', HOME: this.sandbox.root },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: this.options.timeoutMs ?? 60_000,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        if (into.reduce((n, b) => n + b.length, 0) < MAX_OUTPUT) into.push(chunk);
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.on('error', (error) =>
        resolve({ code: 127, stdout: Buffer.alloc(0), stderr: Buffer.from(`${error.message}\n`) }),
      );
      child.on('close', (code, signal) =>
        resolve({
          code: code ?? (signal ? 128 + 9 : 1),
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err),
        }),
      );
    });
  }
}

function chunks(buffer: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < buffer.length; offset += CHUNK)
    out.push(new Uint8Array(buffer.subarray(offset, offset + CHUNK)));
  return out;
}

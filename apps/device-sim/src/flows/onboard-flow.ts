import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import {
  credentialRendezvousInfo,
  type DeviceCredential,
  FdoErrorReply,
  FdoHttpSession,
  findOwnerViaRendezvous,
  runTo2,
  standardDeviceModules,
  type To1Route,
  To1NoRouteError,
  writeDeviceCredentialFile,
} from '@ztp/fdo-client';
import { createSoftwareSigner, ErrorCode, parseGuid } from '@ztp/protocol';
import { initializeDevice } from './di-flow';
import { type DeviceFlow, type FlowContext } from './flow';

const DEFAULT_TO0_WAIT_SECONDS = 60;

/**
 * A device's whole life in a run: DI at the factory, then first boot, TO1 (retried while its owner's
 * TO0 registration is still on its way: the worker registers a voucher only once an owner holds it)
 * and TO2 with the owner it names. Each device gets its own folder for what TO2 delivers: under
 * --out-dir next to its credential, else a temporary one removed afterwards.
 */
export const onboardFlow: DeviceFlow = {
  name: 'onboard',
  description: 'FDO DI, then first boot: TO1 (waiting for the owner to register the device) and TO2',
  options: [
    new Option(
      '--to0-wait <seconds>',
      'onboard flow: how long a device retries TO1 until its owner has registered it',
    )
      .argParser((value) => {
        const seconds = Number(value);
        if (!/^\d+$/.test(value) || seconds < 1 || seconds > 3600)
          throw new InvalidArgumentError('expected an integer 1..3600');
        return seconds;
      })
      .default(DEFAULT_TO0_WAIT_SECONDS),
  ],
  async run(device, context) {
    const credential = await initializeDevice(device, context);
    // Kept before first boot, so a device whose TO1 or TO2 fails can be retried from its file
    // (`device-sim onboard --credential <dir>/<serial>.json`); replaced by TO2's new credential.
    if (context.outDir)
      writeDeviceCredentialFile(join(context.outDir, `${device.serialNumber}.json`), credential);
    const route = await firstBootRoute(credential, context);
    const folder = context.outDir
      ? join(context.outDir, device.serialNumber)
      : mkdtempSync(join(tmpdir(), 'device-sim-'));
    mkdirSync(folder, { recursive: true });
    try {
      const failures: string[] = [];
      for (const url of route.to2Urls) {
        try {
          const outcome = await runTo2({
            session: new FdoHttpSession({ baseUrl: url, fetch: context.fetch }),
            credential,
            modules: standardDeviceModules({ folder }),
            to1d: route.to1d,
          });
          if (context.outDir)
            writeDeviceCredentialFile(
              join(context.outDir, `${device.serialNumber}.json`),
              outcome.credential,
            );
          return { guid: outcome.credential.guid };
        } catch (err) {
          failures.push(`${url}: ${(err as Error).message}`);
        }
      }
      throw new Error(`TO2 failed: ${failures.join('; ') || 'no owner address'}`);
    } finally {
      if (!context.outDir) rmSync(folder, { recursive: true, force: true });
    }
  },
};

async function firstBootRoute(credential: DeviceCredential, context: FlowContext): Promise<To1Route> {
  const waitSeconds = Number(context.options['to0Wait'] ?? DEFAULT_TO0_WAIT_SECONDS);
  return findOwnerWaitingForTo0(credential, waitSeconds, context.fetch);
}

/**
 * TO1 through the device's RendezvousInfo, again every 0.5-2 s for up to `waitSeconds` while no
 * owner has registered it (every rendezvous answers "not found"); any other failure at once.
 */
export async function findOwnerWaitingForTo0(
  credential: DeviceCredential,
  waitSeconds: number,
  fetchImpl: FlowContext['fetch'],
): Promise<To1Route> {
  const deadline = Date.now() + waitSeconds * 1000;
  const device = { guid: parseGuid(credential.guid), signer: createSoftwareSigner(credential.privateKey) };
  for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 2000)) {
    try {
      return await findOwnerViaRendezvous(credentialRendezvousInfo(credential), device, {
        fetch: fetchImpl,
      });
    } catch (err) {
      if (!(err instanceof To1NoRouteError) || !notRegisteredYet(err) || Date.now() + delayMs > deadline)
        throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** Every rendezvous answered "not found" (6): no owner has registered the GUID yet. */
function notRegisteredYet(err: To1NoRouteError): boolean {
  return (
    err.attempts.length > 0 &&
    err.attempts.every(
      (attempt) =>
        attempt.error instanceof FdoErrorReply && attempt.error.code === ErrorCode.ResourceNotFound,
    )
  );
}

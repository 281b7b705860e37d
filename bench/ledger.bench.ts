import { generateKeyPairSync } from 'node:crypto';
import { type OwnershipVoucher } from '@ztp/protocol';
import {
  LedgerHarness,
  type LedgerTenant,
} from '../apps/voucher-service/src/vouchers/ledger-harness.testing';
import { extendTo, manufacture, pemOf } from '../apps/voucher-service/src/vouchers/voucher-builder.testing';
import { type BenchCase } from './types';

/**
 * The voucher ledger over HTTP on loopback (voucher service in this process; DATABASE_URL when
 * set, else an embedded PostgreSQL server). `ledger.import`: vouchers imported per second in bulk requests of
 * BATCH vouchers (PEM; each with one P-256 entry to the importer's owner key, so every import
 * verifies a signature), all or nothing, one transaction per request. `ledger.transfer`: complete
 * hand-overs per second, each a transfer (signed in key custody) plus its acceptance by the
 * recipient, one voucher after another.
 */
const BATCH = 1000;
const IMPORT_BATCHES = 24;
const TRANSFER_VOUCHERS = 3000;

interface ImportCtx {
  harness: LedgerHarness;
  /** Process CPU time (user + system, µs) spent in import calls, and vouchers they imported. */
  cpuMicros: number;
  imported: number;
  tenant: LedgerTenant;
  batches: string[];
  next: number;
}

interface TransferCtx {
  harness: LedgerHarness;
  cpuMicros: number;
  handovers: number;
  from: LedgerTenant;
  to: LedgerTenant;
  guids: string[];
  next: number;
}

async function vouchersFor(tenant: LedgerTenant, count: number): Promise<OwnershipVoucher[]> {
  const outsider = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const vouchers: OwnershipVoucher[] = [];
  for (let i = 0; i < count; i++) {
    // Let the event loop breathe: the server shares this process and closes idle connections on timers.
    if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    vouchers.push(
      await extendTo(manufacture(outsider.publicKey), outsider.privateKey, tenant.ownerPublicKey),
    );
  }
  return vouchers;
}

async function importPem(
  harness: LedgerHarness,
  tenant: LedgerTenant,
  pem: string,
): Promise<{ guid: string }[]> {
  const response = await fetch(`${harness.url}/v1/vouchers`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${tenant.key}`, 'Content-Type': 'application/x-pem-file' },
    body: pem,
  });
  if (response.status !== 201) throw new Error(`import: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { vouchers: { guid: string }[] }).vouchers;
}

export const benchmarks: BenchCase<ImportCtx | TransferCtx>[] = [
  {
    name: 'ledger.import',
    opsPerCall: BATCH,
    durationMs: 3000,
    setup: async () => {
      const harness = await LedgerHarness.start();
      const tenant = await harness.tenant('reseller', 'bench-importer');
      const vouchers = await vouchersFor(tenant, BATCH * IMPORT_BATCHES);
      const batches = Array.from({ length: IMPORT_BATCHES }, (_, i) =>
        pemOf(vouchers.slice(i * BATCH, (i + 1) * BATCH)),
      );
      return { harness, tenant, batches, next: 0, cpuMicros: 0, imported: 0 };
    },
    op: async (ctx) => {
      const c = ctx as ImportCtx;
      const pem = c.batches[c.next++];
      if (pem === undefined)
        throw new Error('ledger.import ran out of prepared batches; raise IMPORT_BATCHES');
      const cpu = process.cpuUsage();
      await importPem(c.harness, c.tenant, pem);
      const used = process.cpuUsage(cpu);
      c.cpuMicros += used.user + used.system;
      c.imported += BATCH;
    },
    // CPU time per imported voucher, all threads of this process (client, server and the
    // verification threads): what an import costs whatever else the machine runs.
    extra: (ctx) => {
      const c = ctx as ImportCtx;
      return { cpu_us_per_voucher: Math.round(c.cpuMicros / c.imported) };
    },
    teardown: (ctx) => (ctx as ImportCtx).harness.close(),
  },
  {
    name: 'ledger.transfer',
    durationMs: 3000,
    setup: async () => {
      const harness = await LedgerHarness.start();
      const from = await harness.tenant('reseller', 'bench-sender');
      const to = await harness.tenant('owner', 'bench-recipient');
      const vouchers = await vouchersFor(from, TRANSFER_VOUCHERS);
      const guids: string[] = [];
      for (let i = 0; i < vouchers.length; i += BATCH)
        guids.push(
          ...(await importPem(harness, from, pemOf(vouchers.slice(i, i + BATCH)))).map((v) => v.guid),
        );
      return { harness, from, to, guids, next: 0, cpuMicros: 0, handovers: 0 };
    },
    op: async (ctx) => {
      const c = ctx as TransferCtx;
      const guid = c.guids[c.next++];
      if (guid === undefined) throw new Error('ledger.transfer ran out of vouchers; raise TRANSFER_VOUCHERS');
      const cpu = process.cpuUsage();
      const transfer = await c.harness.call<{ id: string }>(
        c.from.key,
        'POST',
        `/v1/vouchers/${guid}/transfers`,
        {
          to: { tenant: c.to.slug },
        },
      );
      await c.harness.call(c.to.key, 'POST', `/v1/transfers/${transfer.id}/accept`, undefined, 200);
      const used = process.cpuUsage(cpu);
      c.cpuMicros += used.user + used.system;
      c.handovers += 1;
    },
    extra: (ctx) => {
      const c = ctx as TransferCtx;
      return { cpu_us_per_handover: Math.round(c.cpuMicros / c.handovers) };
    },
    teardown: (ctx) => (ctx as TransferCtx).harness.close(),
  },
];

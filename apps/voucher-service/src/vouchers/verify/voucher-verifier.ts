import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { checkVoucher, type VoucherCheck } from './voucher-check';

/** Below this many vouchers, checking in the calling thread is quicker than handing them over. */
const PARALLEL_FROM = 64;
const MAX_THREADS = 4;
/** Threads are started this long after the app is up (loading their modules takes a second or two of CPU). */
const WARM_UP_AFTER_MS = 10_000;

interface Pending {
  worker: Worker;
  resolve: (results: VoucherCheck[]) => void;
  reject: (err: Error) => void;
}

/**
 * Checks batches of vouchers on worker threads (one per core, up to 4): signature verification is
 * most of a bulk import's CPU, and this way it runs on every core while the event loop stays free.
 * Small batches, and any chunk whose thread fails, are checked in the calling thread. Threads load
 * the TypeScript sources through @swc-node/register, as the apps do; they are started shortly after
 * the app is up (or by the first large batch), so a first bulk import does not wait for them.
 */
@Injectable()
export class VoucherVerifier implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('VoucherVerifier');
  private readonly size = Math.min(MAX_THREADS, Math.max(1, availableParallelism()));
  private workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private warmUp: NodeJS.Timeout | undefined;

  onApplicationBootstrap(): void {
    if (this.size < 2) return;
    this.warmUp = setTimeout(() => {
      for (const worker of this.pool()) void this.run(worker, []).catch(() => undefined);
    }, WARM_UP_AFTER_MS);
    this.warmUp.unref();
  }

  async checkAll(items: readonly Uint8Array[]): Promise<VoucherCheck[]> {
    if (items.length < PARALLEL_FROM || this.size < 2) return items.map(checkVoucher);
    const workers = this.pool();
    const chunkSize = Math.ceil(items.length / workers.length);
    const chunks = workers
      .map((_, i) => items.slice(i * chunkSize, (i + 1) * chunkSize))
      .filter((chunk) => chunk.length > 0);
    const results = await Promise.all(
      chunks.map((chunk, i) =>
        this.run(workers[i]!, chunk).catch((err: unknown) => {
          this.logger.warn(
            `A verification thread failed (${(err as Error).message}); checking in the main thread`,
          );
          return chunk.map(checkVoucher);
        }),
      ),
    );
    return results.flat();
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.warmUp);
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private pool(): Worker[] {
    if (this.workers.length === 0) this.workers = Array.from({ length: this.size }, () => this.spawn());
    return this.workers;
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./voucher-check.worker.ts', import.meta.url), {
      execArgv: ['--import', '@swc-node/register/esm-register'],
    });
    worker.unref();
    worker.on('message', (message: { id: number; results: VoucherCheck[] }) => {
      this.pending.get(message.id)?.resolve(message.results);
      this.pending.delete(message.id);
    });
    const fail = (err: Error) => {
      this.workers = this.workers.filter((each) => each !== worker);
      for (const [id, pending] of this.pending) {
        if (pending.worker !== worker) continue;
        pending.reject(err);
        this.pending.delete(id);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => code !== 0 && fail(new Error(`verification thread exited with ${code}`)));
    return worker;
  }

  private run(worker: Worker, items: Uint8Array[]): Promise<VoucherCheck[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      // Copies: a view into a large upload would otherwise take the whole upload's buffer along.
      worker.postMessage({ id, items: items.map((item) => new Uint8Array(item)) });
    });
  }
}

import { type JobsOptions } from 'bullmq';

/**
 * A queue and the shape of its jobs. The type parameters are the job contract: what a producer
 * must enqueue (`TData`, JSON-serialisable) and what the processor returns (`TResult`).
 */
export interface QueueDefinition<TData, TResult> {
  readonly name: string;
  readonly defaultJobOptions: JobsOptions;
  /** Carries the contract's types; never set at runtime. */
  readonly contract?: { readonly data: TData; readonly result: TResult };
}

export type JobDataOf<Q> = Q extends QueueDefinition<infer D, unknown> ? D : never;
export type JobResultOf<Q> = Q extends QueueDefinition<unknown, infer R> ? R : never;

/** Finished jobs are kept for a while for inspection, then trimmed. */
const DEFAULT_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
};

export function defineQueue<TData, TResult = void>(
  name: string,
  defaultJobOptions: JobsOptions = {},
): QueueDefinition<TData, TResult> {
  if (!/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/.test(name)) {
    throw new Error(`Queue name "${name}" must be dotted lower-case words, e.g. "to0.register"`);
  }
  return Object.freeze({ name, defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, ...defaultJobOptions } });
}

/** The time source every use case reads, injected as CLOCK so tests can fix or advance it. */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };

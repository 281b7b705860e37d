import { describe, expect, it } from 'vitest';
import { fuzzInputs } from './mutate';
import { fuzzSeeds } from './seeds.testing';
import { FUZZ_TARGETS, TYPED_ERRORS, type FuzzTarget } from './targets';

/**
 * Every decoder in libs/protocol gets the same 10,000 generated inputs (mutated real captures,
 * structure-aware mutations, random CBOR and random bytes) and may only succeed or throw one of the
 * typed errors. The seed is fixed so a failure reproduces; FUZZ_SEED overrides it for exploration.
 */
const INPUTS = 10_000;
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_121);

describe('decoder fuzzing', () => {
  const seeds = fuzzSeeds();
  const inputs = fuzzInputs(seeds, INPUTS, SEED);

  it('uses real seeds and the requested number of inputs', () => {
    expect(seeds.length).toBeGreaterThan(150);
    expect(inputs).toHaveLength(INPUTS);
    expect(new Set(inputs.map((i) => Buffer.from(i).toString('hex'))).size).toBeGreaterThan(INPUTS * 0.75);
  });

  const acceptedBy = new Map<string, number>();
  const check = (target: FuzzTarget) => {
    let accepted = 0;
    for (const input of inputs) {
      try {
        target.decode(input);
        accepted++;
      } catch (err) {
        if (!TYPED_ERRORS.some((type) => err instanceof type))
          throw new Error(
            `untyped ${(err as Error)?.constructor?.name}: ${String((err as Error)?.message ?? err)} for input ${Buffer.from(input).toString('hex')}`,
            { cause: err },
          );
      }
    }
    acceptedBy.set(target.name, accepted);
    expect(accepted).toBeLessThan(INPUTS);
  };

  it.each(FUZZ_TARGETS.map((t) => [t.name, t] as const))('%s throws only typed errors', (_name, target) =>
    check(target),
  );

  it('reaches the success path of every message decoder, not just the CBOR layer', () => {
    const messages = [...acceptedBy].filter(([name]) => name.startsWith('message '));
    expect(messages).toHaveLength(25);
    for (const [name, accepted] of messages)
      expect({ name, accepted: accepted > 0 }).toEqual({ name, accepted: true });
  });
});

import { decode, encode, Tagged, type CborValue } from '../../cbor';

/** Input generation for the decoder fuzz test: seeded, so every failure reproduces. */

export type Random = () => number;

/** Mulberry32: small, fast, good enough to drive mutations. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (random: Random, n: number) => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;

function randomBytes(random: Random, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => int(random, 256));
}

/** Bytes that start or end CBOR items in interesting ways (long heads, indefinite, tags, simple values). */
const INTERESTING = [
  0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x40, 0x5f, 0x60, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xd2,
  0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfb, 0xff,
];

/** A random CBOR value with FDO-like shapes: small arrays, nonces, GUIDs, tagged items, maps. */
export function randomCborValue(random: Random, depth = 0): CborValue {
  const leaf = depth > 3 || random() < 0.45;
  if (leaf) {
    switch (int(random, 9)) {
      case 0:
        return int(random, 300) - 40;
      case 1:
        return pick(random, [0, 23, 24, 255, 256, 65535, 65536, 4294967295, -259, -257, 101, 255]);
      case 2:
        return randomBytes(random, pick(random, [0, 1, 4, 15, 16, 17, 32, 48, int(random, 80)]));
      case 3:
        return pick(random, [
          '',
          'devmod:active',
          'ECDH384',
          'fdo.download:data',
          'x'.repeat(int(random, 40)),
        ]);
      case 4:
        return pick(random, [true, false, null]);
      case 5:
        return encode(randomCborValue(random, depth + 1));
      default:
        return int(random, 30);
    }
  }
  switch (int(random, 4)) {
    case 0:
      return new Tagged(pick(random, [16, 17, 18, 61]), randomCborValue(random, depth + 1));
    case 1: {
      const map = new Map<CborValue, CborValue>();
      for (let i = int(random, 4); i > 0; i--)
        map.set(
          pick(random, [1, 4, 5, 10, 11, 256, 257, -257, -258, -259, int(random, 1000)]),
          randomCborValue(random, depth + 1),
        );
      return map;
    }
    default:
      return Array.from({ length: int(random, 9) }, () => randomCborValue(random, depth + 1));
  }
}

/** Replaces one node of a decoded tree, keeping everything else, so deep validation paths get hit. */
function mutateTree(random: Random, value: CborValue): CborValue {
  if (random() < 0.25) return randomCborValue(random, 2);
  if (Array.isArray(value) && value.length > 0) {
    const copy = [...value];
    const i = int(random, copy.length);
    const choice = int(random, 4);
    if (choice === 0) copy.splice(i, 1);
    else if (choice === 1) copy.splice(i, 0, randomCborValue(random, 2));
    else copy[i] = mutateTree(random, copy[i]);
    return copy;
  }
  if (value instanceof Map && value.size > 0) {
    const copy = new Map(value);
    const key = pick(random, [...copy.keys()]);
    if (random() < 0.2) copy.delete(key);
    else copy.set(key, mutateTree(random, copy.get(key)));
    return copy;
  }
  if (value instanceof Tagged) return new Tagged(value.tag, mutateTree(random, value.value as CborValue));
  if (value instanceof Uint8Array && value.length > 0 && random() < 0.5) {
    // Byte strings often wrap CBOR (OVHeader, to0d, ServiceInfo values): mutate inside them too.
    try {
      return encode(mutateTree(random, decode(value)));
    } catch {
      return mutateBytes(random, value, []);
    }
  }
  return randomCborValue(random, 2);
}

/** One byte-level mutation of `seed`. */
export function mutateBytes(random: Random, seed: Uint8Array, corpus: readonly Uint8Array[]): Uint8Array {
  const out = Array.from(seed);
  switch (int(random, 8)) {
    case 0: // bit flips
      for (let n = 1 + int(random, 4); n > 0 && out.length > 0; n--) {
        const i = int(random, out.length);
        out[i] = out[i]! ^ (1 << int(random, 8));
      }
      break;
    case 1: // truncation
      out.length = int(random, out.length + 1);
      break;
    case 2: // insertion of random bytes
      out.splice(int(random, out.length + 1), 0, ...randomBytes(random, 1 + int(random, 8)));
      break;
    case 3: // deletion of a range
      out.splice(int(random, out.length + 1), 1 + int(random, 16));
      break;
    case 4: // overwrite with interesting bytes
      for (let n = 1 + int(random, 3); n > 0 && out.length > 0; n--)
        out[int(random, out.length)] = pick(random, INTERESTING);
      break;
    case 5: {
      // duplicate a slice somewhere else
      const start = int(random, out.length + 1);
      const slice = out.slice(start, start + 1 + int(random, 32));
      out.splice(int(random, out.length + 1), 0, ...slice);
      break;
    }
    case 6: {
      // splice with another seed
      const other = corpus.length > 0 ? pick(random, corpus) : randomBytes(random, 8);
      const cut = int(random, out.length + 1);
      return Uint8Array.from([...out.slice(0, cut), ...other.subarray(int(random, other.length + 1))]);
    }
    default: // trailing garbage
      out.push(...randomBytes(random, 1 + int(random, 4)));
  }
  return Uint8Array.from(out);
}

/**
 * The fuzz inputs: a mix of byte-level mutations of real seeds, structure-aware mutations (decode,
 * replace one node, re-encode), random CBOR values and plain random bytes.
 */
export function fuzzInputs(seeds: readonly Uint8Array[], count: number, seed: number): Uint8Array[] {
  const random = seededRandom(seed);
  const decodedSeeds = seeds.flatMap((s) => {
    try {
      return [decode(s)];
    } catch {
      return [];
    }
  });
  const inputs: Uint8Array[] = [];
  while (inputs.length < count) {
    const kind = random();
    if (kind < 0.45) inputs.push(mutateBytes(random, pick(random, seeds), seeds));
    else if (kind < 0.75 && decodedSeeds.length > 0)
      inputs.push(encode(mutateTree(random, pick(random, decodedSeeds))));
    else if (kind < 0.9) inputs.push(encode(randomCborValue(random)));
    else inputs.push(randomBytes(random, int(random, 64)));
  }
  return inputs;
}

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tagged, type CborValue } from '../../cbor';

/**
 * Test-only access to the go-fdo captures (fdo/go-fdo-captures in the interop fixtures): the
 * repository's vendored copy under test/fixtures.
 */
const CANDIDATES = [new URL('../../../../../test/fixtures/fdo/go-fdo-captures/', import.meta.url)];

function capturesRoot(): URL {
  const found = CANDIDATES.find((dir) => existsSync(fileURLToPath(dir)));
  if (!found)
    throw new Error(`go-fdo captures not found in ${CANDIDATES.map((c) => fileURLToPath(c)).join(' or ')}`);
  return found;
}

export const CAPTURE_FOLDERS = ['basic', 'fsim', 'to0'] as const;

export interface CaptureBody {
  folder: string;
  file: string;
  /** The message type of this body: the request's URL number or the response's Message-Type. */
  type: number;
  bytes: Uint8Array;
}

/** Every request and response body of a capture folder, in exchange order. */
export function captureBodies(folder: string): CaptureBody[] {
  const dir = new URL(`${folder}/`, capturesRoot());
  return readdirSync(dir)
    .filter((file) => file.endsWith('.hex'))
    .sort()
    .map((file) => {
      const match = /^\d+-msg(\d+)-(?:req|resp(\d+))\.hex$/.exec(file);
      if (!match) throw new Error(`unexpected capture file ${file}`);
      const type = Number(match[2] ?? match[1]);
      const hex = readFileSync(new URL(file, dir), 'utf8').trim();
      return { folder, file, type, bytes: new Uint8Array(Buffer.from(hex, 'hex')) };
    });
}

/** A plaintext TO2 body the go-fdo server logged (decrypted request or unencrypted response). */
export interface LoggedBody {
  type: number;
  direction: 'request' | 'response';
  value: CborValue;
}

/** The decrypted bodies in a capture folder's server.log, parsed from CBOR diagnostic notation. */
export function loggedPlaintextBodies(folder: string): LoggedBody[] {
  const lines = readFileSync(new URL(`${folder}/server.log`, capturesRoot()), 'utf8').split('\n');
  const bodies: LoggedBody[] = [];
  lines.forEach((line, i) => {
    const header = /DEBUG: (decrypted request|unencrypted response)$/.exec(line);
    if (!header) return;
    const type = /^\s+msg: (\d+)$/.exec(lines[i + 1] ?? '');
    const body = /^\s+body: (.*)$/.exec(lines[i + 2] ?? '');
    if (!type || !body) throw new Error(`server.log line ${i + 1}: unexpected layout`);
    bodies.push({
      type: Number(type[1]),
      direction: header[1] === 'decrypted request' ? 'request' : 'response',
      value: parseDiagnostic(body[1]!),
    });
  });
  return bodies;
}

/**
 * Parses the subset of CBOR diagnostic notation go-fdo's logger writes: integers, "text", h'hex',
 * true/false/null, [arrays], {maps} and N(tagged) items.
 */
export function parseDiagnostic(text: string): CborValue {
  let pos = 0;
  const skip = () => {
    while (pos < text.length && /[\s,]/.test(text[pos]!)) pos++;
  };
  const expect = (s: string) => {
    skip();
    if (!text.startsWith(s, pos)) throw new Error(`diagnostic: expected "${s}" at ${pos}`);
    pos += s.length;
  };
  const item = (): CborValue => {
    skip();
    const rest = text.slice(pos);
    let m: RegExpExecArray | null;
    if ((m = /^h'([0-9a-f]*)'/.exec(rest))) {
      pos += m[0].length;
      return new Uint8Array(Buffer.from(m[1]!, 'hex'));
    }
    if ((m = /^"((?:[^"\\]|\\.)*)"/.exec(rest))) {
      pos += m[0].length;
      return JSON.parse(`"${m[1]}"`) as string;
    }
    if ((m = /^(true|false|null)/.exec(rest))) {
      pos += m[0].length;
      return m[1] === 'null' ? null : m[1] === 'true';
    }
    if ((m = /^(-?\d+)\(/.exec(rest))) {
      pos += m[0].length;
      const inner = item();
      expect(')');
      return new Tagged(Number(m[1]), inner);
    }
    if ((m = /^-?\d+/.exec(rest))) {
      pos += m[0].length;
      const n = BigInt(m[0]);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    if (rest.startsWith('[')) {
      pos++;
      const items: CborValue[] = [];
      for (skip(); text[pos] !== ']'; skip()) items.push(item());
      pos++;
      return items;
    }
    if (rest.startsWith('{')) {
      pos++;
      const map = new Map<CborValue, CborValue>();
      for (skip(); text[pos] !== '}'; skip()) {
        const key = item();
        expect(':');
        map.set(key, item());
      }
      pos++;
      return map;
    }
    throw new Error(`diagnostic: cannot parse at ${pos}: ${rest.slice(0, 20)}`);
  };
  const value = item();
  skip();
  if (pos !== text.length) throw new Error(`diagnostic: trailing text at ${pos}`);
  return value;
}

import {
  asArray,
  asBytes,
  asInt,
  asText,
  CborError,
  decode,
  encode,
  Tagged,
  type CborValue,
} from '../../cbor';
import { ErrorCode } from '../constants';
import { fdoErrorCodeOf } from './errors';
import { checkUintMax, readUintMax } from './fields';

/**
 * The Error message (255): `[EMErrorCode, EMPrevMsgID, EMErrorStr, EMErrorTs, EMErrorCID]`
 * (go-fdo protocol/error.go). Implementations disagree on the last two, so both are read leniently:
 * go-fdo sends the timestamp as a bare integer (its comment waits on the Java implementation) and a
 * null correlation id; PRI sends integers for both; fdo-rs sends a null timestamp and a u128
 * correlation id (a bignum when it exceeds 64 bits); the spec allows #6.0 text or #6.1 epoch times.
 */
export type ErrorTimestamp =
  | { kind: 'none' }
  /** Seconds since the epoch: bare (go-fdo, PRI) or tagged #6.1. */
  | { kind: 'seconds'; seconds: number; tagged: boolean }
  /** #6.0 RFC 3339 date/time text. */
  | { kind: 'text'; text: string };

export interface ErrorMessage {
  /** An ErrorCode; other numbers are kept as received. */
  code: number;
  prevMsgType: number;
  message: string;
  timestamp: ErrorTimestamp;
  correlationId: bigint | null;
}

const ERROR_TAGS = { text: 0, epoch: 1, positiveBignum: 2, negativeBignum: 3 } as const;

export function decodeErrorMessage(bytes: Uint8Array): ErrorMessage {
  const what = 'ErrorMessage';
  const [code, prev, message, ts, cid] = asArray(decode(bytes, { tags: Object.values(ERROR_TAGS) }), what, 5);
  return {
    code: readUintMax(code, 0xffff, `${what}.code`),
    prevMsgType: readUintMax(prev, 0xff, `${what}.prevMsgType`),
    message: asText(message, `${what}.message`),
    timestamp: timestampFromCbor(ts, `${what}.timestamp`),
    correlationId: correlationIdFromCbor(cid, `${what}.correlationId`),
  };
}

function timestampFromCbor(value: CborValue, what: string): ErrorTimestamp {
  if (value === null) return { kind: 'none' };
  if (typeof value === 'number') return { kind: 'seconds', seconds: asInt(value, what), tagged: false };
  if (value instanceof Tagged && value.tag === ERROR_TAGS.text)
    return { kind: 'text', text: asText(value.value as CborValue, what) };
  if (value instanceof Tagged && value.tag === ERROR_TAGS.epoch && typeof value.value === 'number')
    return { kind: 'seconds', seconds: value.value, tagged: true };
  throw new CborError('unexpected-type', `${what}: expected null, an integer, #6.0(tstr) or #6.1(number)`);
}

function correlationIdFromCbor(value: CborValue, what: string): bigint | null {
  if (value === null) return null;
  if (typeof value === 'number') return BigInt(asInt(value, what));
  if (typeof value === 'bigint') return value;
  if (
    value instanceof Tagged &&
    (value.tag === ERROR_TAGS.positiveBignum || value.tag === ERROR_TAGS.negativeBignum)
  ) {
    const magnitude = bigintFromBytes(asBytes(value.value as CborValue, what));
    return value.tag === ERROR_TAGS.positiveBignum ? magnitude : -1n - magnitude;
  }
  throw new CborError('unexpected-type', `${what}: expected null or an integer`);
}

function bigintFromBytes(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function bigintToBytes(n: bigint): Uint8Array {
  const out: number[] = [];
  for (; n > 0n; n >>= 8n) out.unshift(Number(n & 0xffn));
  return Uint8Array.from(out);
}

const UINT64_MAX = (1n << 64n) - 1n;

export function encodeErrorMessage(msg: ErrorMessage): Uint8Array {
  return encode([
    checkUintMax(msg.code, 0xffff, 'ErrorMessage.code'),
    checkUintMax(msg.prevMsgType, 0xff, 'ErrorMessage.prevMsgType'),
    msg.message,
    timestampToCbor(msg.timestamp),
    correlationIdToCbor(msg.correlationId),
  ]);
}

function timestampToCbor(ts: ErrorTimestamp): CborValue {
  switch (ts.kind) {
    case 'none':
      return null;
    case 'text':
      return new Tagged(ERROR_TAGS.text, ts.text);
    case 'seconds':
      return ts.tagged ? new Tagged(ERROR_TAGS.epoch, ts.seconds) : ts.seconds;
  }
}

function correlationIdToCbor(cid: bigint | null): CborValue {
  if (cid === null) return null;
  if (cid >= 0n) return cid > UINT64_MAX ? new Tagged(ERROR_TAGS.positiveBignum, bigintToBytes(cid)) : cid;
  const magnitude = -1n - cid;
  return magnitude > UINT64_MAX ? new Tagged(ERROR_TAGS.negativeBignum, bigintToBytes(magnitude)) : cid;
}

export interface NewErrorMessageOptions {
  now?: Date;
  correlationId?: bigint;
}

/** An ErrorMessage as go-fdo writes it: bare integer seconds, correlation id or null. */
export function newErrorMessage(
  code: ErrorCode,
  prevMsgType: number,
  message: string,
  options: NewErrorMessageOptions = {},
): ErrorMessage {
  const now = options.now ?? new Date();
  return {
    code,
    prevMsgType,
    message,
    timestamp: { kind: 'seconds', seconds: Math.floor(now.getTime() / 1000), tagged: false },
    correlationId: options.correlationId ?? null,
  };
}

/**
 * The ErrorMessage answering a failure to handle `prevMsgType`: CborError becomes MessageBodyError
 * (100) with the parse detail, FdoMessageError keeps its code and text, and anything else is a
 * generic InternalServerError (500) so internal details never reach the peer.
 */
export function errorMessageFor(
  err: unknown,
  prevMsgType: number,
  options?: NewErrorMessageOptions,
): ErrorMessage {
  const code = fdoErrorCodeOf(err);
  const text =
    code === ErrorCode.InternalServerError || !(err instanceof Error) ? 'internal error' : err.message;
  return newErrorMessage(code, prevMsgType, text, options);
}

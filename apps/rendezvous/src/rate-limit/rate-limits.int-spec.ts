import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeErrorMessage,
  encode,
  encodeTo1HelloRv,
  ErrorCode,
  MessageType,
  newGuid,
  SigAlg,
} from '@ztp/protocol';
import { bootRendezvous, type BootedRendezvous } from '../testing/boot-rendezvous';
import { RedisRateCounter } from './redis-rate-counter';

/**
 * Rate limits through the app: counted in Redis when REDIS_URL is set (shared by replicas), in
 * memory otherwise; answered with FDO error 500 and the seconds to wait.
 */
describe(`rendezvous rate limits (${process.env['REDIS_URL'] ? 'Redis' : 'in memory'})`, () => {
  let rv: BootedRendezvous;

  beforeAll(async () => {
    rv = await bootRendezvous({
      RENDEZVOUS_RATE_LIMIT_PER_ADDRESS: '6',
      RENDEZVOUS_RATE_LIMIT_PER_GUID: '2',
      RENDEZVOUS_RATE_LIMIT_TO0_PER_ADDRESS: '8',
    });
  });
  afterAll(async () => {
    await rv?.close();
  });

  async function post(type: number, body: Uint8Array, forwardedFor?: string) {
    const response = await fetch(`${rv.url}/fdo/101/msg/${type}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/cbor',
        ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
      },
      body,
    });
    return {
      status: response.status,
      type: Number(response.headers.get('message-type')),
      body: new Uint8Array(await response.arrayBuffer()),
    };
  }

  it('limits HelloRV per GUID, then every message per source address, with error 500', async () => {
    const helloRv = encodeTo1HelloRv({
      guid: newGuid(),
      sigInfoA: { sgType: SigAlg.ES256, info: new Uint8Array(0) },
    });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await post(MessageType.TO1HelloRV, helloRv);
      codes.push(decodeErrorMessage(reply.body).code);
    }
    // Unregistered GUID: not found twice, then the GUID's limit.
    expect(codes).toEqual([
      ErrorCode.ResourceNotFound,
      ErrorCode.ResourceNotFound,
      ErrorCode.InternalServerError,
    ]);
    for (let i = 0; i < 3; i++) await post(MessageType.TO1HelloRV, helloRv);
    const limited = await post(MessageType.TO1HelloRV, helloRv, '203.0.113.7');
    // An FDO error message over HTTP 200 (never an HTTP 500), saying when to retry.
    expect([limited.status, limited.type]).toEqual([200, MessageType.Error]);
    const error = decodeErrorMessage(limited.body);
    expect(error).toMatchObject({ code: ErrorCode.InternalServerError, prevMsgType: 30 });
    expect(error.message).toMatch(/rate limit exceeded for this source address; retry in \d+ s/);

    // The owner's worker behind the same address still registers: TO0 has a budget of its own.
    for (let i = 0; i < 8; i++)
      expect((await post(MessageType.TO0Hello, encode([]))).type).toBe(MessageType.TO0HelloAck);
    const to0Limited = await post(MessageType.TO0Hello, encode([]));
    expect([to0Limited.status, to0Limited.type]).toEqual([200, MessageType.Error]);
    expect(decodeErrorMessage(to0Limited.body).message).toMatch(
      /rate limit exceeded for TO0 from this source address; retry in \d+ s/,
    );
  });
});

describe.skipIf(!process.env['REDIS_URL'])('RedisRateCounter', () => {
  it('counts from the first hit once ready (a hit before the connection is up fails, and limits fail open)', async () => {
    const early = new RedisRateCounter(process.env['REDIS_URL']!, `t${Date.now()}`);
    await expect(early.hit('k', 60_000, Date.now())).rejects.toThrow();
    await early.close();
    const counter = new RedisRateCounter(process.env['REDIS_URL']!, `t${Date.now()}`);
    await counter.ready(5_000);
    expect((await counter.hit('k', 60_000, Date.now())).count).toBe(1);
    await counter.close();
  });
});

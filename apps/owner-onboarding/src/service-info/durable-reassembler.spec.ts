import { chunkServiceInfo, encode, FdoMessageError, serviceInfoKv } from '@ztp/protocol';
import { describe, expect, it } from 'vitest';
import { type PendingValue, reassemble } from './durable-reassembler';

describe('reassemble (ServiceInfo across messages, resumable from stored state)', () => {
  it('joins a value split over several messages, the unfinished part kept as plain data', () => {
    const big = serviceInfoKv('fdo.upload', 'data', new Uint8Array(3000).fill(7));
    const messages = chunkServiceInfo([serviceInfoKv('devmod', 'os', 'linux'), big], { maxSize: 1300 });
    expect(messages.length).toBeGreaterThan(2);
    let pending: PendingValue | null = null;
    const received = [];
    for (const message of messages) {
      const result = reassemble(pending, message);
      received.push(...result.messages.map((m) => [m.module, m.message]));
      // What a session stores between two requests survives a CBOR round trip of plain data.
      pending = result.pending
        ? { key: result.pending.key, bytes: Uint8Array.from(result.pending.bytes) }
        : null;
    }
    expect(pending).toBeNull();
    expect(received).toEqual([
      ['devmod', 'os'],
      ['fdo.upload', 'data'],
    ]);
  });

  it('refuses a value cut off by another key', () => {
    const piece = { key: 'fdo.upload:data', value: encode(new Uint8Array(100)).subarray(0, 50) };
    const { pending } = reassemble(null, [piece]);
    expect(() => reassemble(pending, [serviceInfoKv('devmod', 'os', 'x')])).toThrow(FdoMessageError);
  });
});

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HttpMetrics } from './http-metrics';

async function values(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries(
    (metric?.values ?? []).map((v) => [
      Object.entries(v.labels)
        .map(([k, l]) => `${k}=${l}`)
        .join(','),
      v.value,
    ]),
  );
}

describe('HttpMetrics', () => {
  it('counts FDO messages by type and error code, and derives onboardings, DI and TO1 not-found', async () => {
    const registry = new Registry();
    const metrics = new HttpMetrics(registry);
    metrics.countFdoMessage(60, undefined);
    metrics.countFdoMessage(70, undefined); // a TO2 that finished
    metrics.countFdoMessage(68, 500); // one refused mid-way
    metrics.countFdoMessage(12, undefined);
    metrics.countFdoMessage(10, 1);
    metrics.countFdoMessage(30, 6);
    metrics.countFdoMessage(32, 6);
    metrics.countFdoMessage(30, 100); // malformed: not a "not found"
    metrics.countFdoMessage(undefined, 100);
    metrics.countSztpOnboarding('succeeded');

    expect(await values(registry, 'fdo_messages_total')).toEqual({
      'message_type=60,fdo_error=none': 1,
      'message_type=70,fdo_error=none': 1,
      'message_type=68,fdo_error=500': 1,
      'message_type=12,fdo_error=none': 1,
      'message_type=10,fdo_error=1': 1,
      'message_type=30,fdo_error=6': 1,
      'message_type=32,fdo_error=6': 1,
      'message_type=30,fdo_error=100': 1,
      'message_type=other,fdo_error=100': 1,
    });
    expect(await values(registry, 'ztp_onboardings_total')).toEqual({
      'protocol=fdo,result=succeeded': 1,
      'protocol=fdo,result=failed': 1,
      'protocol=sztp,result=succeeded': 1,
    });
    expect(await values(registry, 'ztp_device_initializations_total')).toEqual({
      'result=succeeded': 1,
      'result=failed': 1,
    });
    expect(await values(registry, 'ztp_to1_not_found_total')).toEqual({ '': 2 });
  });
});

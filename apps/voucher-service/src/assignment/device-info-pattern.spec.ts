import { describe, expect, it } from 'vitest';
import { matchesGlob } from './device-info-pattern';

describe('DeviceInfo globs', () => {
  it('matches * and ? and nothing else specially', () => {
    expect(matchesGlob('acme-*', 'acme-router-7')).toBe(true);
    expect(matchesGlob('acme-*', 'other-acme-1')).toBe(false);
    expect(matchesGlob('model-?', 'model-7')).toBe(true);
    expect(matchesGlob('model-?', 'model-77')).toBe(false);
    expect(matchesGlob('a.b(c)', 'a.b(c)')).toBe(true);
    expect(matchesGlob('a.b', 'axb')).toBe(false);
    expect(matchesGlob('*', '')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { CborError, decode, encode, type CborValue } from '../../cbor';
import { MessageType } from '../constants';
import { FdoMessageError } from '../messages/errors';
import { decodeMessage } from '../messages';
import { loggedPlaintextBodies } from '../messages/captures.testing';
import {
  DevmodCollector,
  devmodServiceInfo,
  ServiceInfoReassembler,
  serviceInfoSize,
  serviceInfoToCbor,
  type Devmod,
  type ServiceInfo,
  type ServiceInfoMessage,
} from './index';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The ServiceInfo of each logged DeviceServiceInfo (68) or OwnerServiceInfo (69), decoded with our codec. */
function loggedServiceInfo(folder: string, type: 68 | 69): ServiceInfo[] {
  return loggedPlaintextBodies(folder)
    .filter((b) => b.type === type)
    .map((b) => decodeMessage(type, encode(b.value)).serviceInfo);
}

function collect(messages: ServiceInfoMessage[]): Devmod {
  const collector = new DevmodCollector();
  for (const m of messages) if (m.module === 'devmod') collector.add(m.message, m.body);
  return collector.result();
}

const GO_FDO_DEVMOD: Devmod = {
  os: 'linux',
  arch: 'amd64',
  version: 'Debian Bookworm',
  device: 'go-validation',
  sep: ';',
  bin: 'amd64',
  modules: ['fido_alliance', 'fdo.download', 'fdo.command', 'fdo.upload', 'fdo.wget', 'devmod'],
};

describe('devmod from the go-fdo captures', () => {
  it('reassembles the device record, modules listed in a second message as [start, count, names...]', () => {
    const messages = loggedServiceInfo('fsim', 68);
    expect(messages[1]![0]!.key).toBe('devmod:modules');
    expect(decode(messages[1]![0]!.value)).toEqual([0, 6, ...GO_FDO_DEVMOD.modules]);
    const reassembler = new ServiceInfoReassembler();
    expect(collect(messages.flatMap((m) => reassembler.push(m)))).toEqual(GO_FDO_DEVMOD);
    reassembler.finish();
  });

  it('basic lists only fido_alliance and devmod', () => {
    const messages = new ServiceInfoReassembler();
    const devmod = collect(loggedServiceInfo('basic', 68).flatMap((m) => messages.push(m)));
    expect(devmod.modules).toEqual(['fido_alliance', 'devmod']);
  });

  it('is sent by devmodServiceInfo in the very bytes go-fdo sent', () => {
    const [first, second] = loggedServiceInfo('fsim', 68);
    const ours = devmodServiceInfo(GO_FDO_DEVMOD, { maxSize: 1300 });
    expect(ours.map((si) => hex(encode(serviceInfoToCbor(si))))).toEqual(
      [first!, second!].map((si) => hex(encode(serviceInfoToCbor(si)))),
    );
  });
});

describe('devmod chunking', () => {
  const many: Devmod = {
    ...GO_FDO_DEVMOD,
    sn: new Uint8Array([1, 2, 3]),
    pathsep: '/',
    nl: '\n',
    tmp: '/tmp/',
    dir: '/opt/fdo/',
    progenv: 'bin:py3',
    mudurl: 'https://mud.example.com/device.json',
    modules: Array.from({ length: 60 }, (_, i) => `com.example.module-${i}`),
  };

  it('splits a long module list across messages that each fit the maximum, and reads it back', () => {
    const messages = devmodServiceInfo(many, { maxSize: 300 });
    for (const si of messages) expect(serviceInfoSize(si)).toBeLessThanOrEqual(300);
    const chunks = messages.flat().filter((kv) => kv.key === 'devmod:modules');
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    let next = 0;
    for (const kv of chunks) {
      const [start, count, ...names] = decode(kv.value) as [number, number, ...string[]];
      expect([start, names.length]).toEqual([next, count]);
      next += count;
    }
    const reassembler = new ServiceInfoReassembler();
    expect(collect(messages.flatMap((m) => reassembler.push(m)))).toEqual(many);
  });

  it('honours a cap on names per chunk', () => {
    const chunks = devmodServiceInfo(many, { maxModulesPerChunk: 7 })
      .flat()
      .filter((kv) => kv.key === 'devmod:modules');
    expect(chunks.map((kv) => (decode(kv.value) as CborValue[])[1])).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 4]);
  });

  it('refuses a module name that cannot fit any message', () => {
    expect(() =>
      devmodServiceInfo({ ...GO_FDO_DEVMOD, modules: ['x'.repeat(400)] }, { maxSize: 300 }),
    ).toThrow(FdoMessageError);
  });
});

describe('DevmodCollector', () => {
  function collector(entries: [string, CborValue][]): DevmodCollector {
    const c = new DevmodCollector();
    for (const [message, body] of entries) c.add(message, body);
    return c;
  }
  const required: [string, CborValue][] = [
    ['active', true],
    ['os', 'linux'],
    ['arch', 'x86_64'],
    ['version', '1'],
    ['device', 'd'],
    ['sep', ':'],
    ['bin', 'x86_64'],
  ];

  it('accepts chunks in any order and tells what is missing', () => {
    const c = collector([...required, ['nummodules', 3], ['modules', [2, 1, 'c']]]);
    expect(c.complete).toBe(false);
    expect(c.missing()).toEqual(['modules']);
    c.add('modules', [0, 2, 'a', 'b']);
    expect(c.result().modules).toEqual(['a', 'b', 'c']);
    expect(collector(required.slice(1)).missing()).toEqual(['active', 'nummodules']);
    expect(() => collector(required.slice(1)).result()).toThrow(/missing active, nummodules/);
  });

  it('ignores unknown devmod keys', () => {
    const c = collector([...required, ['nummodules', 1], ['modules', [0, 1, 'devmod']], ['vendor-extra', 5]]);
    expect(c.result().os).toBe('linux');
  });

  it.each([
    [
      'a count that disagrees with the names',
      [
        ['nummodules', 2],
        ['modules', [0, 2, 'a']],
      ],
      FdoMessageError,
    ],
    [
      'modules beyond nummodules',
      [
        ['nummodules', 1],
        ['modules', [0, 2, 'a', 'b']],
      ],
      FdoMessageError,
    ],
    [
      'a module sent twice',
      [
        ['nummodules', 2],
        ['modules', [0, 1, 'a']],
        ['modules', [0, 1, 'a']],
      ],
      FdoMessageError,
    ],
    [
      'nummodules below the modules given',
      [
        ['modules', [0, 2, 'a', 'b']],
        ['nummodules', 1],
      ],
      FdoMessageError,
    ],
    ['active false', [['active', false]], FdoMessageError],
    ['a numeric os', [['os', 1]], CborError],
    ['a short modules array', [['modules', [0]]], CborError],
    [
      'a non-text module name',
      [
        ['nummodules', 1],
        ['modules', [0, 1, 5]],
      ],
      CborError,
    ],
  ] as [string, [string, CborValue][], typeof CborError | typeof FdoMessageError][])(
    'rejects %s',
    (_name, entries, type) => {
      expect(() => collector(entries)).toThrow(type);
    },
  );
});

describe('fsim ServiceInfo from the go-fdo captures', () => {
  const owner = () => {
    const reassembler = new ServiceInfoReassembler();
    const out = loggedServiceInfo('fsim', 69).flatMap((si) => reassembler.push(si));
    reassembler.finish();
    return new Map(out.map((m) => [`${m.module}:${m.message}`, m.body]));
  };
  const device = () => {
    const reassembler = new ServiceInfoReassembler();
    return new Map(
      loggedServiceInfo('fsim', 68)
        .flatMap((si) => reassembler.push(si))
        .map((m) => [`${m.module}:${m.message}`, m.body]),
    );
  };

  it('fdo.download: name, length, sha-384 and data agree', async () => {
    const messages = owner();
    const data = messages.get('fdo.download:data') as Uint8Array;
    expect(messages.get('fdo.download:name')).toBe('payload.txt');
    expect(messages.get('fdo.download:length')).toBe(data.length);
    const { createHash } = await import('node:crypto');
    expect(hex(messages.get('fdo.download:sha-384') as Uint8Array)).toBe(
      createHash('sha384').update(data).digest('hex'),
    );
    expect(device().get('fdo.download:done')).toBe(data.length);
  });

  it('fdo.command: args is a byte string wrapping a CBOR array; stdout comes back as bytes', () => {
    const messages = owner();
    expect(messages.get('fdo.command:command')).toBe('date');
    expect(decode(messages.get('fdo.command:args') as Uint8Array)).toEqual(['+%s']);
    expect(messages.get('fdo.command:execute')).toBeNull();
    const reply = device();
    expect(Buffer.from(reply.get('fdo.command:stdout') as Uint8Array).toString()).toBe('date +%s\n\n');
    expect(reply.get('fdo.command:exitcode')).toBe(0);
  });

  it('fdo.upload and fdo.wget exchanges decode to the FSIM types', async () => {
    const fromOwner = owner();
    expect(fromOwner.get('fdo.upload:name')).toBe('hello.txt');
    expect(fromOwner.get('fdo.upload:need-sha')).toBe(true);
    expect(fromOwner.get('fdo.wget:url')).toBe('http://127.0.0.1:9997/wget.txt');
    const fromDevice = device();
    const data = fromDevice.get('fdo.upload:data') as Uint8Array;
    expect(fromDevice.get('fdo.upload:length')).toBe(data.length);
    const { createHash } = await import('node:crypto');
    expect(hex(fromDevice.get('fdo.upload:sha-384') as Uint8Array)).toBe(
      createHash('sha384').update(data).digest('hex'),
    );
    expect(fromDevice.get('fdo.wget:done')).toBe(21);
  });

  it('the owner messages stay within the 1300-byte maximum the device announced', () => {
    const ready = loggedPlaintextBodies('fsim').find(
      (b) => b.type === MessageType.TO2DeviceServiceInfoReady,
    )!;
    const max = decodeMessage(
      MessageType.TO2DeviceServiceInfoReady,
      encode(ready.value),
    ).maxOwnerServiceInfoSize!;
    for (const si of loggedServiceInfo('fsim', 69)) expect(serviceInfoSize(si)).toBeLessThanOrEqual(max);
  });
});

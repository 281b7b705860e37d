import { sztp } from '@ztp/protocol';
import { createTestPki, TEST_NOW } from '@ztp/protocol/sztp/pki.testing';
import { type BenchCase } from './types';

/**
 * SZTP server-side hot paths with P-256: signing conveyed information per request (when not
 * cached), issuing and verifying vouchers, and parsing the device's RESTCONF input.
 */
const info: sztp.ConveyedInformation = {
  kind: 'onboarding-information',
  bootImage: {
    downloadUris: ['https://images.example.com/os-17.3.bin'],
    imageVerification: [{ hashAlgorithm: 'sha-256', hashValue: new Uint8Array(32).fill(1) }],
  },
  configurationHandling: 'merge',
  configuration: new Uint8Array(2048).fill(0x41),
};

interface Ctx {
  owner: sztp.CmsSigner;
  masa: sztp.CmsSigner;
  ownerCertificate: Uint8Array;
  vendorRoot: Uint8Array;
  signedInfo: Uint8Array;
  voucher: Uint8Array;
}

async function setup(): Promise<Ctx> {
  const pki = await createTestPki();
  const owner = sztp.keyObjectSigner(pki.owner.certificate, pki.owner.privateKey);
  const masa = sztp.keyObjectSigner(pki.masa.certificate, pki.masa.privateKey);
  return {
    owner,
    masa,
    ownerCertificate: pki.owner.certificate,
    vendorRoot: pki.vendorRoot.certificate,
    signedInfo: await sztp.signConveyedInformation(info, owner),
    voucher: await sztp.issueVoucher(
      {
        createdOn: '2025-05-01T00:00:00Z',
        assertion: 'verified',
        serialNumber: 'SN-1',
        pinnedDomainCert: pki.ownerRoot.certificate,
      },
      masa,
    ),
  };
}

const input = JSON.stringify({
  'ietf-sztp-bootstrap-server:input': {
    'hw-model': 'model-x',
    'os-name': 'vendor-os',
    'os-version': '17.3R2.1',
    nonce: '',
  },
});
/** The same input in the RESTCONF XML encoding (RFC 8572 / RFC 8040). */
const inputXml =
  '<input xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server">' +
  '<hw-model>model-x</hw-model><os-name>vendor-os</os-name><os-version>17.3R2.1</os-version><nonce></nonce></input>';

export const benchmarks: BenchCase<Ctx>[] = [
  { name: 'sztp.conveyed-info.sign', setup, op: (ctx) => sztp.signConveyedInformation(info, ctx.owner) },
  {
    name: 'sztp.conveyed-info.open',
    setup,
    op: (ctx) => sztp.openConveyedInformation(ctx.signedInfo, { ownerCertificate: ctx.ownerCertificate }),
  },
  { name: 'sztp.conveyed-info.unsigned', setup, op: () => sztp.encodeUnsignedConveyedInformation(info) },
  {
    name: 'sztp.voucher.issue',
    setup,
    op: (ctx) =>
      sztp.issueVoucher(
        {
          createdOn: '2025-05-01T00:00:00Z',
          assertion: 'verified',
          serialNumber: 'SN-2',
          pinnedDomainCert: ctx.ownerCertificate,
        },
        ctx.masa,
      ),
  },
  {
    name: 'sztp.voucher.verify',
    setup,
    op: (ctx) =>
      sztp.verifyVoucher(ctx.voucher, {
        trust: { trustAnchors: [ctx.vendorRoot] },
        serialNumber: 'SN-1',
        now: TEST_NOW,
      }),
  },
  { name: 'sztp.input.parse-json', setup, op: () => sztp.parseGetBootstrappingDataInput(input, 'json') },
  { name: 'sztp.input.parse-xml', setup, op: () => sztp.parseGetBootstrappingDataInput(inputXml, 'xml') },
];

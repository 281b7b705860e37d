import { Injectable } from '@nestjs/common';
import { type IdentifiedSztpDevice, RestconfRequestError, SztpAnswers } from '@ztp/persistence';
import { sztp } from '@ztp/protocol';

/** RFC 8572's default port for a bootstrap server; written out because OPI's agent needs port > 0. */
const DEFAULT_PORT = 443;

/**
 * get-bootstrapping-data on the manufacturer's redirect server (RFC 8572 redirect-server feature):
 * redirect-information naming the bootstrap servers of the owner that holds the device's voucher,
 * each with the trust anchor that authenticates its TLS certificate. Signed with the owner
 * certificate (with owner certificate and voucher) so the device may trust those anchors; the lab
 * profile gets it unsigned unless the device asked for signed data.
 */
@Injectable()
export class SztpRedirectService {
  constructor(private readonly answers: SztpAnswers) {}

  async getBootstrappingData(
    device: IdentifiedSztpDevice,
    input: sztp.GetBootstrappingDataInput,
  ): Promise<sztp.GetBootstrappingDataOutput> {
    const context = await this.answers.contextFor(device);
    const servers = context.owner.bootstrapServers;
    if (servers.length === 0) {
      throw RestconfRequestError.of(409, 'data-missing', 'the device owner has no SZTP bootstrap servers');
    }
    const info: sztp.ConveyedInformation = {
      kind: 'redirect-information',
      bootstrapServers: servers.map((server) => ({
        address: server.address,
        port: server.port ?? DEFAULT_PORT,
        ...(server.trustAnchors?.length
          ? {
              trustAnchor: sztp.encodeCertsOnly(
                server.trustAnchors.map((b64) => new Uint8Array(Buffer.from(b64, 'base64'))),
              ),
            }
          : {}),
      })),
    };
    const signed = device.outputProfile === 'signed' || input.signedDataPreferred;
    return this.answers.output(context, info, {
      signed,
      ...(input.nonce ? { nonce: input.nonce } : {}),
      contentVersion: `redirect:${context.owner.tenantId}@${context.owner.version}`,
    });
  }
}

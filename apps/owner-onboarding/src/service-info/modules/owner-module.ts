import { type ProgramStep } from '@ztp/persistence';
import { type CborValue } from '@ztp/protocol';
import { type CertificateRequestKind } from '@ztp/persistence';
import { type ParsedCsr } from '@ztp/pki';

/** What a device message did to the step waiting for it. */
export type StepEvent =
  { kind: 'waiting' } | { kind: 'done'; detail?: string } | { kind: 'failed'; detail: string };

export const WAITING: StepEvent = { kind: 'waiting' };

/** Who the ServiceInfo exchange is with. */
export interface DeliveryContext {
  ownerTenantId: string;
  deviceId: string;
  /** The GUID the device will have after this TO2 (the new one, or the same under reuse). */
  guidHex: string;
}

/** The owner's CA behind fdo.csr. */
export interface CertificateAuthorityPort {
  /** The owner CA certificate (DER), creating the CA on first use. */
  caCertificate(ownerTenantId: string): Promise<Uint8Array>;
  allowsServerKeygen(ownerTenantId: string): Promise<boolean>;
  /** Issues an operational certificate (DER) for the CSR's key, recorded and audited. */
  issue(request: {
    context: DeliveryContext;
    csr: ParsedCsr;
    kind: CertificateRequestKind;
    validityDays: number;
  }): Promise<Uint8Array>;
}

/** Where fdo.upload content goes. */
export interface UploadSinkPort {
  store(upload: {
    context: DeliveryContext;
    name: string;
    content: Uint8Array;
    sha384: Uint8Array;
  }): Promise<void>;
}

export interface StepServices {
  readonly context: DeliveryContext;
  readonly ca: CertificateAuthorityPort;
  readonly uploads: UploadSinkPort;
  /** Queues an answer to the device (sent before the program continues). */
  respond(module: string, message: string, body: CborValue): void;
}

/** The owner side of one FSIM: reacts to the device's messages for the current step. */
export interface OwnerStepHandler {
  onMessage(
    step: ProgramStep,
    data: Record<string, unknown>,
    message: string,
    body: CborValue,
    services: StepServices,
  ): Promise<StepEvent>;
}

import { Injectable } from '@nestjs/common';
import { FdoProtocolError } from '@ztp/platform';
import { constantTimeEqual, decodeTo2Done, encodeTo2Done2 } from '@ztp/protocol';
import { OnboardingCompletion } from '../owner/onboarding-completion';
import { OwnerVouchers } from '../owner/owner-vouchers';
import { type To2Session, To2SessionStore } from '../session/session-store';
import { openRequest, sessionTunnel } from './tunnel';

/**
 * TO2.Done (70) -> TO2.Done2 (71): accepted only after the owner's IsDone, with NonceTO2ProveDv
 * echoed (else 101); completes the onboarding in the ledger, then answers with NonceTO2SetupDv.
 */
@Injectable()
export class Done {
  constructor(
    private readonly sessions: To2SessionStore,
    private readonly vouchers: OwnerVouchers,
    private readonly completion: OnboardingCompletion,
  ) {}

  handle(token: string | undefined, body: Uint8Array): Promise<Uint8Array> {
    return this.sessions.run(token, ['service-info'], 'TO2.Done', (session) => this.done(session, body));
  }

  private async done(session: To2Session, body: Uint8Array): Promise<Uint8Array> {
    const tunnel = sessionTunnel(session.state);
    const done = decodeTo2Done(openRequest(tunnel, body, 'TO2.Done'));
    if (!session.state.serviceInfo?.ownerDone)
      throw FdoProtocolError.invalid('TO2.Done before the owner signalled IsDone');
    if (!constantTimeEqual(done.nonceTo2ProveDv, session.state.nonceProveDv))
      throw FdoProtocolError.invalid('TO2.Done: NonceTO2ProveDv does not match');
    await this.completion.complete(session, await this.vouchers.byId(session.voucherId));
    return tunnel.encrypt(encodeTo2Done2({ nonceTo2SetupDv: session.state.nonceSetupDv! }));
  }
}

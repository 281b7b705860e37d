import { Injectable } from '@nestjs/common';
import { FdoProtocolError } from '@ztp/platform';
import { encodeTo2OvNextEntry, RawCbor, type To2GetOvNextEntry } from '@ztp/protocol';
import { OwnerVouchers } from '../owner/owner-vouchers';
import { To2SessionStore } from '../session/session-store';

/**
 * TO2.GetOVNextEntry (62) -> TO2.OVNextEntry (63): one voucher entry, exactly as stored. The device
 * may ask in any order and again; an index beyond the voucher is error 101 (FIDO_DOT_62). Reads
 * only: the session is not changed.
 */
@Injectable()
export class OvNextEntry {
  constructor(
    private readonly sessions: To2SessionStore,
    private readonly vouchers: OwnerVouchers,
  ) {}

  async handle(token: string | undefined, request: To2GetOvNextEntry): Promise<Uint8Array> {
    const session = await this.sessions.load(token, ['proving'], 'TO2.GetOVNextEntry');
    if (request.entryNum >= session.state.numEntries)
      throw FdoProtocolError.invalid(
        `voucher entry ${request.entryNum} does not exist (the voucher has ${session.state.numEntries})`,
      );
    const voucher = await this.vouchers.byId(session.voucherId);
    const entry = voucher.entries[request.entryNum]!;
    return encodeTo2OvNextEntry({ entryNum: request.entryNum, entry: new RawCbor(entry.bytes) });
  }
}

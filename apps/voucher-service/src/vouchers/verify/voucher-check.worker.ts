import { parentPort } from 'node:worker_threads';
import { checkVoucher } from './voucher-check';

/** A verification thread of VoucherVerifier: checks the vouchers of each message, in order. */
parentPort!.on('message', (message: { id: number; items: Uint8Array[] }) => {
  parentPort!.postMessage({ id: message.id, results: message.items.map(checkVoucher) });
});

// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata polyfill
// loaded before the library itself. Every module of this lib imports x509 from here, never directly.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

/** The WebCrypto the library expects (its `Crypto` type comes from the DOM lib we do not load). */
export type X509Crypto = Parameters<typeof x509.cryptoProvider.set>[0];

/** Node's WebCrypto, for verification and hashing; signing goes through custody (signer-crypto.ts). */
export const nodeWebCrypto = webcrypto as unknown as X509Crypto;

x509.cryptoProvider.set(nodeWebCrypto);

export { x509 };

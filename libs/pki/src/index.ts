export * from './errors';
export * from './key-spec';

export * from './custody/key-custody';
export * from './custody/sealed-key-store';
export * from './custody/in-memory-sealed-key-store';
export { SEALED_KEY_FORMAT, type MasterKey } from './custody/sealing';
export * from './custody/software-key-custody';
export * from './custody/pkcs11-key-custody';
export * from './custody/routing-key-custody';

export { derToPem, pemToDer, pemToDerAll, chainToPem } from './x509/pem';
export { certificateFingerprint } from './x509/fingerprint';
export { type RandomBytes, randomSerialNumber } from './x509/serial-number';
export { type DistinguishedName, type SubjectAltNames } from './x509/names';
export { signerCrypto, type CryptoKeyHandle } from './x509/signer-crypto';

export * from './csr/create-csr';
export * from './csr/parse-csr';

export * from './ca/profiles';
export * from './ca/certificate-issuer';

export * from './chain/validate-chain';

export * from './revocation/reasons';
export * from './revocation/crl';
export * from './revocation/ocsp';
export * from './est/est-wire';
export * from './custody/key-migration';
export { createSoftHsmToken, SOFTHSM2_MODULE, type TestToken } from './custody/softhsm.testing';

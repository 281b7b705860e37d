/**
 * FDO 1.1 numbers, in one place. Sources: FDO 1.1 specification; go-fdo protocol/*.go
 * (message_types.go, error.go, key.go, rv.go, transport.go); cose/sig_alg.go; kex/cipher.go.
 */

export const FDO_PROTOCOL_VERSION = 101;
export const FDO_PROTOCOL_VERSION_1_0 = 100;

export const MessageType = {
  DIAppStart: 10,
  DISetCredentials: 11,
  DISetHMAC: 12,
  DIDone: 13,
  TO0Hello: 20,
  TO0HelloAck: 21,
  TO0OwnerSign: 22,
  TO0AcceptOwner: 23,
  TO1HelloRV: 30,
  TO1HelloRVAck: 31,
  TO1ProveToRV: 32,
  TO1RVRedirect: 33,
  TO2HelloDevice: 60,
  TO2ProveOVHdr: 61,
  TO2GetOVNextEntry: 62,
  TO2OVNextEntry: 63,
  TO2ProveDevice: 64,
  TO2SetupDevice: 65,
  TO2DeviceServiceInfoReady: 66,
  TO2OwnerServiceInfoReady: 67,
  TO2DeviceServiceInfo: 68,
  TO2OwnerServiceInfo: 69,
  TO2Done: 70,
  TO2Done2: 71,
  Error: 255,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** ErrorMessage codes (FDO 1.1 section 3.7). */
export const ErrorCode = {
  InvalidJwtToken: 1,
  InvalidOwnershipVoucher: 2,
  InvalidOwnerSignBody: 3,
  InvalidIpAddress: 4,
  InvalidGuid: 5,
  ResourceNotFound: 6,
  MessageBodyError: 100,
  InvalidMessageError: 101,
  CredReuseError: 102,
  InternalServerError: 500,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** PublicKey type (pkType). */
export const PkType = {
  RSA2048RESTR: 1,
  RSAPKCS: 5,
  RSAPSS: 6,
  SECP256R1: 10,
  SECP384R1: 11,
} as const;
export type PkType = (typeof PkType)[keyof typeof PkType];

/** PublicKey encoding (pkEnc). */
export const PkEnc = {
  Crypto: 0,
  X509: 1,
  X5CHAIN: 2,
  COSEKEY: 3,
} as const;
export type PkEnc = (typeof PkEnc)[keyof typeof PkEnc];

/** Hash and HMAC algorithm ids (COSE values). */
export const HashAlg = {
  SHA256: -16,
  SHA384: -43,
  HMAC_SHA256: 5,
  HMAC_SHA384: 6,
} as const;
export type HashAlg = (typeof HashAlg)[keyof typeof HashAlg];

/** COSE signature algorithm ids. */
export const SigAlg = {
  ES256: -7,
  ES384: -35,
  PS256: -37,
  PS384: -38,
  RS256: -257,
  RS384: -258,
} as const;
export type SigAlg = (typeof SigAlg)[keyof typeof SigAlg];

/** COSE header labels used by FDO. */
export const CoseHeader = {
  Alg: 1,
  Kid: 4,
  IV: 5,
  /** TO2.ProveOVHdr unprotected: NonceTO2ProveDv */
  CUPHNonce: 256,
  /** TO2.ProveOVHdr unprotected: owner public key */
  CUPHOwnerPubKey: 257,
  /** EAT unprotected: MAROE prefix */
  EatMaroePrefix: -258,
  /** EAT unprotected: NonceTO2SetupDv */
  EUPHNonce: -259,
} as const;

/** EAT claim labels. UEID is 256 in go-fdo, PRI and the conformance tools; fdo-rs uses 11 (accept both). */
export const EatClaim = {
  Nonce: 10,
  Ueid: 256,
  UeidLegacy: 11,
  FdoClaim: -257,
} as const;

/** UEID type byte prefixed to the GUID (RAND). */
export const EAT_UEID_TYPE_RAND = 0x01;

export const KexSuite = {
  ECDH256: 'ECDH256',
  ECDH384: 'ECDH384',
  DHKEXid14: 'DHKEXid14',
  DHKEXid15: 'DHKEXid15',
  ASYMKEX2048: 'ASYMKEX2048',
  ASYMKEX3072: 'ASYMKEX3072',
} as const;
export type KexSuite = (typeof KexSuite)[keyof typeof KexSuite];

/** Tunnel cipher suite ids (COSE algorithm values). */
export const CipherSuite = {
  A128GCM: 1,
  A192GCM: 2,
  A256GCM: 3,
  AES_CCM_16_128_128: 30,
  AES_CCM_16_128_256: 31,
  AES_CCM_64_128_128: 32,
  AES_CCM_64_128_256: 33,
  // FDO-specific ids (FDO 1.1 section 3.6.4; go-fdo, PRI, fdo-rs and the conformance tools agree).
  AES128_CBC_HMAC256: -17760703,
  AES128_CTR_HMAC256: -17760704,
  AES256_CBC_HMAC384: -17760705,
  AES256_CTR_HMAC384: -17760706,
} as const;
export type CipherSuite = (typeof CipherSuite)[keyof typeof CipherSuite];

/** RendezvousInfo instruction variables (RVVariable). */
export const RvVariable = {
  DevOnly: 0,
  OwnerOnly: 1,
  IPAddress: 2,
  DevPort: 3,
  OwnerPort: 4,
  Dns: 5,
  SvCertHash: 6,
  ClCertHash: 7,
  UserInput: 8,
  WifiSsid: 9,
  WifiPw: 10,
  Medium: 11,
  Protocol: 12,
  DelaySec: 13,
  Bypass: 14,
  ExtRV: 15,
} as const;
export type RvVariable = (typeof RvVariable)[keyof typeof RvVariable];

/** RVProtocol: the value of RvVariable.Protocol inside RendezvousInfo. */
export const RvProtocol = {
  Rest: 0,
  Http: 1,
  Https: 2,
  Tcp: 3,
  Tls: 4,
  CoapTcp: 5,
  CoapUdp: 6,
} as const;
export type RvProtocol = (typeof RvProtocol)[keyof typeof RvProtocol];

/** TransportProtocol inside RVTO2Addr. A different enum from RvProtocol: never mix them up. */
export const TransportProtocol = {
  Tcp: 1,
  Tls: 2,
  Http: 3,
  CoAP: 4,
  Https: 5,
  CoAPS: 6,
} as const;
export type TransportProtocol = (typeof TransportProtocol)[keyof typeof TransportProtocol];

/** Largest message body the HTTP transport accepts (go-fdo's default). */
export const MAX_MESSAGE_SIZE = 65535;

import { isIP } from 'node:net';
import { PkiError } from '../errors';
import { x509 } from './runtime';

/**
 * A subject name built from named fields, never parsed from a string, so a value such as
 * "a, O=Evil" stays one attribute value. Each field becomes one RDN, most significant first.
 */
export interface DistinguishedName {
  readonly country?: string;
  readonly stateOrProvince?: string;
  readonly locality?: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly commonName?: string;
  /** X.520 serialNumber (2.5.4.5), PrintableString; IEEE 802.1AR puts the device serial here. */
  readonly serialNumber?: string;
}

export interface SubjectAltNames {
  readonly dns?: readonly string[];
  readonly ip?: readonly string[];
  readonly uri?: readonly string[];
  readonly email?: readonly string[];
}

const ATTRIBUTES: ReadonlyArray<readonly [keyof DistinguishedName, string, 'printable' | 'utf8']> = [
  ['country', '2.5.4.6', 'printable'],
  ['stateOrProvince', '2.5.4.8', 'utf8'],
  ['locality', '2.5.4.7', 'utf8'],
  ['organization', '2.5.4.10', 'utf8'],
  ['organizationalUnit', '2.5.4.11', 'utf8'],
  ['commonName', '2.5.4.3', 'utf8'],
  ['serialNumber', '2.5.4.5', 'printable'],
];

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]+$/;
// No C0/C1 controls or DEL in names: they have no business in a certificate and confuse logs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const DNS_NAME =
  /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const EMAIL = /^[^\s@]{1,64}@[A-Za-z0-9.-]{1,253}$/;

/** Encodes a DistinguishedName for @peculiar/x509; `invalid-name` on an empty or ill-formed one. */
export function toX509Name(name: DistinguishedName): x509.Name {
  const rdns: x509.JsonNameParams = [];
  for (const [field, oid, kind] of ATTRIBUTES) {
    const value = name[field];
    if (value === undefined) continue;
    checkAttribute(field, value, kind);
    rdns.push({ [oid]: [kind === 'printable' ? { printableString: value } : { utf8String: value }] });
  }
  if (rdns.length === 0) throw new PkiError('invalid-name', 'a subject name needs at least one attribute');
  return new x509.Name(rdns);
}

function checkAttribute(field: string, value: string, kind: 'printable' | 'utf8'): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64 || CONTROL.test(value)) {
    throw new PkiError('invalid-name', `${field} must be 1..64 characters without control characters`);
  }
  if (kind === 'printable' && !PRINTABLE.test(value)) {
    throw new PkiError('invalid-name', `${field} must use PrintableString characters only`);
  }
  if (field === 'country' && !/^[A-Z]{2}$/.test(value)) {
    throw new PkiError('invalid-name', 'country must be a two-letter ISO 3166 code');
  }
}

/** Validates and converts SANs to @peculiar/x509 GeneralNames; duplicates are dropped. */
export function toGeneralNames(names: SubjectAltNames): x509.JsonGeneralName[] {
  const result: x509.JsonGeneralName[] = [];
  const seen = new Set<string>();
  const add = (type: x509.GeneralNameType, value: string) => {
    const key = `${type}:${value}`;
    if (!seen.has(key)) {
      seen.add(key);
      result.push({ type, value });
    }
  };
  for (const dns of names.dns ?? []) {
    if (typeof dns !== 'string' || !DNS_NAME.test(dns))
      throw new PkiError('invalid-name', `bad DNS name ${String(dns)}`);
    add('dns', dns.toLowerCase());
  }
  for (const ip of names.ip ?? []) {
    if (typeof ip !== 'string' || isIP(ip) === 0)
      throw new PkiError('invalid-name', `bad IP address ${String(ip)}`);
    add('ip', ip);
  }
  for (const uri of names.uri ?? []) {
    if (typeof uri !== 'string' || !isAbsoluteUri(uri))
      throw new PkiError('invalid-name', `bad URI ${String(uri)}`);
    add('url', uri);
  }
  for (const email of names.email ?? []) {
    if (typeof email !== 'string' || !EMAIL.test(email))
      throw new PkiError('invalid-name', `bad email ${String(email)}`);
    add('email', email);
  }
  return result;
}

/** Merges SAN lists, keeping order. */
export function mergeSubjectAltNames(...lists: SubjectAltNames[]): SubjectAltNames {
  return {
    dns: lists.flatMap((l) => l.dns ?? []),
    ip: lists.flatMap((l) => l.ip ?? []),
    uri: lists.flatMap((l) => l.uri ?? []),
    email: lists.flatMap((l) => l.email ?? []),
  };
}

/** Reads the SAN kinds this lib issues out of parsed GeneralNames; other kinds are ignored. */
export function fromGeneralNames(names: readonly x509.JsonGeneralName[]): SubjectAltNames {
  const pick = (type: x509.GeneralNameType) => names.filter((n) => n.type === type).map((n) => n.value);
  return { dns: pick('dns'), ip: pick('ip'), uri: pick('url'), email: pick('email') };
}

function isAbsoluteUri(value: string): boolean {
  if (CONTROL.test(value) || /\s/.test(value)) return false;
  try {
    return new URL(value).protocol.length > 1;
  } catch {
    return false;
  }
}

// @peculiar/x509 resolves algorithms through tsyringe, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { type SerialNumberSource } from './sztp-device-type.entity';

/** How a device type reads the serial number from an IDevID certificate. */
export interface SerialNumberRule {
  readonly source: SerialNumberSource;
  /** Optional regular expression; its first capture group (or the whole match) is the serial. */
  readonly pattern?: string | null;
}

/** A rule that cannot be used (a pattern that does not compile). */
export class SerialNumberRuleError extends Error {
  override readonly name = 'SerialNumberRuleError';
}

const SERIAL_NUMBER_OID = '2.5.4.5';
const COMMON_NAME_OID = '2.5.4.3';
const MAX_PATTERN_LENGTH = 200;

/** Compiles a rule's pattern once; refuses patterns that do not compile or are unreasonably long. */
export function compileSerialNumberPattern(pattern: string | null | undefined): RegExp | undefined {
  if (pattern === null || pattern === undefined || pattern === '') return undefined;
  if (pattern.length > MAX_PATTERN_LENGTH)
    throw new SerialNumberRuleError(`serial number pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  try {
    return new RegExp(pattern);
  } catch (err) {
    throw new SerialNumberRuleError(`serial number pattern does not compile: ${(err as Error).message}`);
  }
}

function sourceValues(certificate: x509.X509Certificate, source: SerialNumberSource): string[] {
  switch (source) {
    case 'subject-serial-number':
      return certificate.subjectName.getField(SERIAL_NUMBER_OID);
    case 'common-name':
      return certificate.subjectName.getField(COMMON_NAME_OID);
    case 'subject-alt-name': {
      const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
      return (san?.names.items ?? [])
        .filter((name) => name.type === 'dns' || name.type === 'url' || name.type === 'email')
        .map((name) => name.value);
    }
  }
}

/**
 * The serial number an IDevID certificate (DER) carries under `rule`, or undefined when it has none.
 * Without a pattern the source must hold exactly one value (a certificate with two CNs is ambiguous,
 * and sztpd's "last RDN" guess is what broke Cisco HA-SUDI certificates); with a pattern the first
 * value that matches decides.
 */
export function extractSerialNumber(
  certificateDer: Uint8Array,
  rule: SerialNumberRule,
  compiled: RegExp | undefined = compileSerialNumberPattern(rule.pattern),
): string | undefined {
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(certificateDer);
  } catch {
    return undefined;
  }
  const values = sourceValues(certificate, rule.source);
  if (compiled === undefined) {
    const only = values.length === 1 ? values[0]!.trim() : '';
    return only === '' ? undefined : only;
  }
  for (const value of values) {
    const match = compiled.exec(value);
    if (match === null) continue;
    const serial = (match[1] ?? match[0]).trim();
    if (serial !== '') return serial;
  }
  return undefined;
}

import { type Encoding } from './reader';

/** RESTCONF media types (RFC 8040 section 11.3). */
export const MediaType = {
  yangDataJson: 'application/yang-data+json',
  yangDataXml: 'application/yang-data+xml',
} as const;

/**
 * Maps a Content-Type (or Accept entry) to an encoding. Besides the RFC 8040 types, accepts what
 * real SZTP peers send: plain `application/json` / `application/xml` / `text/xml`, and the pre-RFC
 * `application/yang.data+json|xml` spelling (Arista's helper, RFC 9646 draft examples).
 * Parameters such as `; charset=utf-8` are ignored. Undefined when the type is not one of these.
 */
export function encodingForMediaType(contentType: string | undefined): Encoding | undefined {
  if (contentType === undefined) return undefined;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  switch (type) {
    case 'application/yang-data+json':
    case 'application/yang.data+json':
    case 'application/json':
      return 'json';
    case 'application/yang-data+xml':
    case 'application/yang.data+xml':
    case 'application/xml':
    case 'text/xml':
      return 'xml';
    default:
      return undefined;
  }
}

export function mediaTypeFor(encoding: Encoding): string {
  return encoding === 'json' ? MediaType.yangDataJson : MediaType.yangDataXml;
}

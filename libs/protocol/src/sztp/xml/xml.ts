import { SztpPayloadError } from '../errors';

/**
 * A small, strict XML reader for the element-only documents RESTCONF exchanges (RFC 8040 XML
 * encoding of YANG data). Deliberately not a general XML parser: there is no DTD support at all, so
 * `<!DOCTYPE`, entity declarations and every entity reference other than the five predefined ones
 * and numeric character references are refused (no XXE, no entity expansion). Processing
 * instructions other than a leading XML declaration are refused, and so is mixed content (an
 * element with both child elements and non-whitespace text), which YANG data never contains.
 */
export interface XmlElement {
  /** Local name. */
  readonly name: string;
  /** Prefix as written, or undefined. */
  readonly prefix: string | undefined;
  /** Resolved namespace URI ('' when none is in scope). */
  readonly namespace: string;
  /** Attributes other than namespace declarations, keyed by qualified name as written. */
  readonly attributes: ReadonlyMap<string, string>;
  /** In-scope namespace bindings (prefix → URI, '' for the default namespace). */
  readonly namespaces: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Character data (references decoded). Empty for elements with children. */
  readonly text: string;
  /** Location for error messages, e.g. `/input/nonce`. */
  readonly path: string;
}

export interface XmlParseOptions {
  /** Maximum element nesting depth (default 32). */
  maxDepth?: number;
  /** Maximum number of elements (default 10 000). */
  maxElements?: number;
}

const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
const NAME = /^[A-Za-z_\u00C0-\uFFEF][\w.\-\u00B7\u00C0-\uFFEF]*$/;
const PREDEFINED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

interface OpenElement {
  qname: string;
  prefix: string | undefined;
  name: string;
  attributes: Map<string, string>;
  namespaces: Map<string, string>;
  children: XmlElement[];
  text: string;
  hasText: boolean;
  path: string;
}

function fail(path: string, message: string): never {
  throw new SztpPayloadError('malformed-message', path, `XML: ${message}`);
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/** Decodes character and predefined entity references in text or attribute values. */
function decodeReferences(raw: string, path: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]*);?/g, (match, ref: string) => {
    if (!match.endsWith(';')) fail(path, 'unterminated reference');
    if (ref.startsWith('#')) {
      const code = /^#x[0-9a-fA-F]+$/.test(ref)
        ? parseInt(ref.slice(2), 16)
        : /^#[0-9]+$/.test(ref)
          ? parseInt(ref.slice(1), 10)
          : NaN;
      if (!isXmlChar(code)) fail(path, `invalid character reference &${ref};`);
      return String.fromCodePoint(code);
    }
    const value = PREDEFINED_ENTITIES[ref];
    if (value === undefined) fail(path, `entity &${ref}; is not allowed (no DTD support)`);
    return value;
  });
}

function splitQName(qname: string, path: string): { prefix: string | undefined; local: string } {
  const parts = qname.split(':');
  if (parts.length > 2 || !parts.every((p) => NAME.test(p))) fail(path, `invalid name "${qname}"`);
  return parts.length === 2
    ? { prefix: parts[0], local: parts[1]! }
    : { prefix: undefined, local: parts[0]! };
}

export function parseXml(input: string, options: XmlParseOptions = {}): XmlElement {
  const maxDepth = options.maxDepth ?? 32;
  const maxElements = options.maxElements ?? 10_000;
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i)!;
    if (!isXmlChar(code)) fail('', `character U+${code.toString(16)} is not allowed`);
    if (code > 0xffff) i++;
  }

  let pos = 0;
  let root: XmlElement | undefined;
  let elementCount = 0;
  const stack: OpenElement[] = [];
  const currentPath = () => stack[stack.length - 1]?.path ?? '';

  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end < 0) fail('', 'unterminated XML declaration');
    const declaration = text.slice(5, end);
    if (!/^\s/.test(declaration)) fail('', 'malformed XML declaration');
    const encoding = /encoding\s*=\s*["']([^"']*)["']/.exec(declaration)?.[1];
    if (encoding !== undefined && !/^utf-?8$/i.test(encoding))
      fail('', `encoding ${encoding} is not supported`);
    pos = end + 2;
  }

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunkEnd = lt < 0 ? text.length : lt;
    if (chunkEnd > pos) {
      const chunk = text.slice(pos, chunkEnd);
      if (chunk.includes(']]>')) fail(currentPath(), '"]]>" is not allowed in text');
      const open = stack[stack.length - 1];
      if (open === undefined) {
        if (chunk.trim() !== '') fail('', 'text outside the root element');
      } else {
        open.text += decodeReferences(chunk, open.path);
        if (chunk.trim() !== '') open.hasText = true;
      }
    }
    if (lt < 0) break;
    pos = lt;

    if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos + 4);
      if (end < 0) fail(currentPath(), 'unterminated comment');
      if (text.slice(pos + 4, end).includes('--')) fail(currentPath(), '"--" inside a comment');
      pos = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', pos)) {
      const open = stack[stack.length - 1];
      if (open === undefined) fail('', 'CDATA outside the root element');
      const end = text.indexOf(']]>', pos + 9);
      if (end < 0) fail(open.path, 'unterminated CDATA section');
      const data = text.slice(pos + 9, end);
      open.text += data;
      if (data.trim() !== '') open.hasText = true;
      pos = end + 3;
      continue;
    }
    if (text.startsWith('<!', pos)) fail(currentPath(), 'DTDs and declarations are not accepted');
    if (text.startsWith('<?', pos)) fail(currentPath(), 'processing instructions are not accepted');

    if (text.startsWith('</', pos)) {
      const end = text.indexOf('>', pos);
      if (end < 0) fail(currentPath(), 'unterminated end tag');
      const qname = text.slice(pos + 2, end).trim();
      const open = stack.pop();
      if (open === undefined || open.qname !== qname) fail(currentPath(), `unexpected end tag </${qname}>`);
      const element = closeElement(open);
      if (stack.length === 0) root = element;
      else stack[stack.length - 1]!.children.push(element);
      pos = end + 1;
      continue;
    }

    // start tag
    if (root !== undefined) fail('', 'more than one root element');
    const { end, selfClosing, qname, rawAttributes } = readStartTag(text, pos, currentPath());
    elementCount++;
    if (elementCount > maxElements) fail(currentPath(), `more than ${maxElements} elements`);
    if (stack.length >= maxDepth) fail(currentPath(), `nesting deeper than ${maxDepth}`);
    const parent = stack[stack.length - 1];
    const namespaces = new Map(parent?.namespaces ?? [['xml', XML_NAMESPACE]]);
    const attributes = new Map<string, string>();
    const { prefix, local } = splitQName(qname, currentPath());
    const path = `${parent?.path ?? ''}/${qname}`;
    for (const [name, rawValue] of rawAttributes) {
      const value = decodeReferences(rawValue, path);
      if (name === 'xmlns') namespaces.set('', value);
      else if (name.startsWith('xmlns:')) {
        const declared = name.slice(6);
        if (!NAME.test(declared) || declared === 'xmlns' || value === '')
          fail(path, `bad declaration ${name}`);
        namespaces.set(declared, value);
      } else {
        splitQName(name, path);
        attributes.set(name, value);
      }
    }
    for (const name of attributes.keys()) {
      const attributePrefix = name.includes(':') ? name.split(':')[0]! : undefined;
      if (attributePrefix !== undefined && !namespaces.has(attributePrefix)) {
        fail(path, `undeclared prefix "${attributePrefix}"`);
      }
    }
    if (prefix !== undefined && !namespaces.has(prefix)) fail(path, `undeclared prefix "${prefix}"`);
    const open: OpenElement = {
      qname,
      prefix,
      name: local,
      attributes,
      namespaces,
      children: [],
      text: '',
      hasText: false,
      path,
    };
    pos = end;
    if (selfClosing) {
      const element = closeElement(open);
      if (parent === undefined) root = element;
      else parent.children.push(element);
    } else {
      stack.push(open);
    }
  }

  if (stack.length > 0) fail(currentPath(), `missing end tag for <${stack[stack.length - 1]!.qname}>`);
  if (root === undefined) fail('', 'no root element');
  return root;
}

function closeElement(open: OpenElement): XmlElement {
  if (open.children.length > 0 && open.hasText) fail(open.path, 'mixed content is not accepted');
  return {
    name: open.name,
    prefix: open.prefix,
    namespace: open.namespaces.get(open.prefix ?? '') ?? '',
    attributes: open.attributes,
    namespaces: open.namespaces,
    children: open.children,
    text: open.children.length > 0 ? '' : open.text,
    path: open.path,
  };
}

const TAG_NAME = /[^\s/>]+/y;
const WHITESPACE = /\s*/y;
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;

function matchAt(pattern: RegExp, text: string, pos: number): RegExpExecArray | null {
  pattern.lastIndex = pos;
  return pattern.exec(text);
}

function readStartTag(
  text: string,
  start: number,
  path: string,
): { end: number; selfClosing: boolean; qname: string; rawAttributes: [string, string][] } {
  let pos = start + 1;
  const nameMatch = matchAt(TAG_NAME, text, pos);
  if (nameMatch === null) fail(path, 'malformed start tag');
  const qname = nameMatch[0];
  pos += qname.length;
  const rawAttributes: [string, string][] = [];
  const seen = new Set<string>();
  for (;;) {
    const whitespace = matchAt(WHITESPACE, text, pos)![0].length;
    pos += whitespace;
    if (text.startsWith('/>', pos)) return { end: pos + 2, selfClosing: true, qname, rawAttributes };
    if (text.startsWith('>', pos)) return { end: pos + 1, selfClosing: false, qname, rawAttributes };
    if (pos >= text.length) fail(path, `unterminated start tag <${qname}>`);
    if (whitespace === 0) fail(path, `malformed attribute in <${qname}>`);
    const attribute = matchAt(ATTRIBUTE, text, pos);
    if (attribute === null) fail(path, `malformed attribute in <${qname}>`);
    const name = attribute[1]!;
    if (seen.has(name)) fail(path, `duplicate attribute ${name}`);
    seen.add(name);
    rawAttributes.push([name, attribute[2] ?? attribute[3] ?? '']);
    pos += attribute[0].length;
  }
}

/** An element to serialise. Namespace declarations are emitted only where they change. */
export interface XmlOutputElement {
  readonly name: string;
  /** Default namespace of this element; declared when it differs from the parent's. */
  readonly namespace: string;
  /** Extra prefix declarations (used for identityref values). */
  readonly declarations?: Readonly<Record<string, string>>;
  readonly text?: string;
  readonly children?: readonly XmlOutputElement[];
}

function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;');
}

export function serializeXml(element: XmlOutputElement, parentNamespace?: string): string {
  let tag = element.name;
  if (element.namespace !== parentNamespace) tag += ` xmlns="${escapeAttribute(element.namespace)}"`;
  for (const [prefix, uri] of Object.entries(element.declarations ?? {})) {
    tag += ` xmlns:${prefix}="${escapeAttribute(uri)}"`;
  }
  const children = element.children ?? [];
  if (children.length > 0) {
    const inner = children.map((child) => serializeXml(child, element.namespace)).join('');
    return `<${tag}>${inner}</${element.name}>`;
  }
  if (element.text === undefined || element.text === '') return `<${tag}/>`;
  return `<${tag}>${escapeText(element.text)}</${element.name}>`;
}

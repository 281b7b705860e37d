import { SaxesParser, type SaxesTagNS } from 'saxes';
import { SztpPayloadError } from '../errors';

/**
 * The reader for the element-only documents RESTCONF exchanges (RFC 8040 XML encoding of YANG
 * data), on saxes (a maintained, conformant non-validating XML 1.0 parser with namespaces; it
 * checks well-formedness, characters, names, prefixes and duplicate attributes). saxes never
 * expands entities beyond the five predefined ones and numeric references, and on top of it a
 * DOCTYPE (so no DTD, no entity declarations: no XXE, no entity expansion) and processing
 * instructions other than the XML declaration are refused, and so is mixed content (an element with
 * both child elements and non-whitespace text), which YANG data never contains.
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

interface OpenElement {
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

/**
 * saxes' well-formedness messages, said in the words of this project's errors (saxes reports a
 * position, not what was wrong with which name). `at` is the input offset saxes stopped at.
 */
function describeSaxesError(message: string, input: string, at: number): string {
  const bare = message.replace(/^(?:[^:]*:)?\d+:\d+: /, '').replace(/\.$/, '');
  const lastReference = () => input.slice(input.lastIndexOf('&', at - 1), at);
  if (bare === 'undefined entity') return `entity ${lastReference()} is not allowed (no DTD support)`;
  if (bare === 'malformed character entity') return `invalid character reference ${lastReference()}`;
  if (bare === 'disallowed character in entity name' || bare === 'empty entity name')
    return `malformed reference ${lastReference()}`;
  const unbound = /^unbound namespace prefix: "(.*)"$/.exec(bare);
  if (unbound) return `undeclared prefix "${unbound[1]}"`;
  if (bare === 'unexpected close tag') {
    const tagStart = input.lastIndexOf('</', at - 1);
    return `unexpected end tag ${tagStart >= 0 ? input.slice(tagStart, at) : ''}`.trimEnd();
  }
  const unclosed = /^unclosed tag: (.*)$/.exec(bare);
  if (unclosed) {
    // saxes reads a reference up to its ';', so a bare '&' swallows the rest of the document and
    // only shows as unclosed elements at its end.
    const bareAmpersand = /&(?![^\s&<>;]+;)/.test(input)
      ? "; or an '&' that does not start a reference closed by ';'"
      : '';
    return `missing end tag for <${unclosed[1]}>${bareAmpersand}`;
  }
  if (bare === 'documents may contain only one root') return 'more than one root element';
  if (bare === 'text data outside of root node') return 'text outside the root element';
  if (bare === 'document must contain a root element') return 'no root element';
  if (bare === 'malformed comment') return 'malformed comment ("--" inside a comment?)';
  return bare;
}

export function parseXml(input: string, options: XmlParseOptions = {}): XmlElement {
  const maxDepth = options.maxDepth ?? 32;
  const maxElements = options.maxElements ?? 10_000;
  const parser = new SaxesParser({ xmlns: true });
  const stack: OpenElement[] = [];
  let root: XmlElement | undefined;
  let elementCount = 0;
  const currentPath = () => stack[stack.length - 1]?.path ?? '';

  parser.on('error', (err) => {
    if (err instanceof SztpPayloadError) throw err;
    fail(currentPath(), describeSaxesError(err.message, input, parser.position));
  });
  parser.on('xmldecl', (declaration) => {
    const encoding = declaration.encoding;
    if (encoding !== undefined && !/^utf-?8$/i.test(encoding))
      fail('', `encoding ${encoding} is not supported`);
  });
  parser.on('doctype', () => fail(currentPath(), 'DTDs and declarations are not accepted'));
  parser.on('processinginstruction', () => fail(currentPath(), 'processing instructions are not accepted'));
  const addText = (data: string) => {
    const open = stack[stack.length - 1];
    if (open === undefined) {
      if (data.trim() !== '') fail('', 'text outside the root element');
      return;
    }
    open.text += data;
    if (data.trim() !== '') open.hasText = true;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('opentag', (tag: SaxesTagNS) => {
    elementCount++;
    if (elementCount > maxElements) fail(currentPath(), `more than ${maxElements} elements`);
    if (stack.length >= maxDepth) fail(currentPath(), `nesting deeper than ${maxDepth}`);
    const parent = stack[stack.length - 1];
    const namespaces = new Map(parent?.namespaces ?? [['xml', XML_NAMESPACE]]);
    const attributes = new Map<string, string>();
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.name === 'xmlns') namespaces.set('', attribute.value);
      else if (attribute.prefix === 'xmlns') namespaces.set(attribute.local, attribute.value);
      else attributes.set(attribute.name, attribute.value);
    }
    const open: OpenElement = {
      prefix: tag.prefix === '' ? undefined : tag.prefix,
      name: tag.local,
      attributes,
      namespaces,
      children: [],
      text: '',
      hasText: false,
      path: `${parent?.path ?? ''}/${tag.name}`,
    };
    stack.push(open);
  });
  parser.on('closetag', () => {
    const element = closeElement(stack.pop()!);
    const parent = stack[stack.length - 1];
    if (parent === undefined) root = element;
    else parent.children.push(element);
  });

  parser.write(input).close();
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

import { decodeBinary } from '../binary';
import { SztpPayloadError } from '../errors';
import { parseXml, type XmlElement } from '../xml/xml';
import { moduleByName, moduleByNamespace, type YangModule } from './modules';

/**
 * Reads YANG instance data from RFC 7951 JSON or RFC 7950 XML through one interface, so every
 * shape parser is written once and both encodings get identical validation. Each accessor consumes
 * the member it reads; `finish()` then reports anything left over as unknown.
 */
export type Encoding = 'json' | 'xml';

export interface ReadOptions {
  /**
   * Skip members the schema does not define instead of failing with `unknown-element` /
   * `unknown-namespace`. Skipped paths are collected in `YangReader.ignored`.
   */
  ignoreUnknown?: boolean;
}

interface Occurrence {
  readonly name: string;
  /** Resolved module; undefined when the qualifier names a module or namespace we do not know. */
  readonly module: YangModule | undefined;
  readonly path: string;
  readonly json?: unknown;
  readonly xml?: XmlElement;
}

interface LeafOptions {
  /** Module of the member when it differs from the enclosing node's (augmentations). */
  module?: YangModule;
  mandatory?: boolean;
}

export interface IdentityChoice<T> {
  readonly module: YangModule;
  readonly identity: string;
  readonly value: T;
}

interface Shared {
  readonly options: ReadOptions;
  readonly ignored: string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class YangReader {
  private readonly used = new Set<Occurrence>();

  private constructor(
    readonly path: string,
    readonly module: YangModule,
    private readonly occurrences: readonly Occurrence[],
    private readonly shared: Shared,
  ) {}

  /** Paths of members skipped because `ignoreUnknown` was set. */
  get ignored(): readonly string[] {
    return this.shared.ignored;
  }

  static fromJson(value: unknown, path: string, module: YangModule, options: ReadOptions = {}): YangReader {
    return YangReader.jsonNode(value, path, module, { options, ignored: [] });
  }

  static fromXml(element: XmlElement, module: YangModule, options: ReadOptions = {}): YangReader {
    return YangReader.xmlNode(element, `/${module.name}:${element.name}`, module, { options, ignored: [] });
  }

  private static jsonNode(value: unknown, path: string, module: YangModule, shared: Shared): YangReader {
    if (!isPlainObject(value)) throw new SztpPayloadError('invalid-value', path, 'expected a JSON object');
    const occurrences = Object.entries(value).map(([key, member]): Occurrence => {
      const colon = key.indexOf(':');
      const qualifier = colon >= 0 ? key.slice(0, colon) : undefined;
      return {
        name: colon >= 0 ? key.slice(colon + 1) : key,
        module: qualifier === undefined ? module : moduleByName(qualifier),
        path: `${path}/${key}`,
        json: member,
      };
    });
    return new YangReader(path, module, occurrences, shared);
  }

  private static xmlNode(element: XmlElement, path: string, module: YangModule, shared: Shared): YangReader {
    const occurrences = element.children.map((child): Occurrence => {
      // Unqualified children inherit the parent's module (lenient: some agents omit xmlns).
      const childModule = child.namespace === '' ? module : moduleByNamespace(child.namespace);
      const qualified = childModule !== module ? `${childModule?.name ?? child.namespace}:` : '';
      return { name: child.name, module: childModule, path: `${path}/${qualified}${child.name}`, xml: child };
    });
    if (element.text.trim() !== '')
      throw new SztpPayloadError('invalid-value', path, 'expected child elements');
    return new YangReader(path, module, occurrences, shared);
  }

  private childPath(name: string, module: YangModule): string {
    return module === this.module ? `${this.path}/${name}` : `${this.path}/${module.name}:${name}`;
  }

  private take(name: string, module: YangModule): Occurrence[] {
    const found = this.occurrences.filter((o) => o.name === name && o.module === module);
    for (const o of found) this.used.add(o);
    return found;
  }

  /** True when the member is present (does not consume it). */
  has(name: string, module: YangModule = this.module): boolean {
    return this.occurrences.some((o) => o.name === name && o.module === module);
  }

  private single(name: string, options: LeafOptions): Occurrence | undefined {
    const module = options.module ?? this.module;
    const found = this.take(name, module);
    if (found.length > 1) throw new SztpPayloadError('bad-element', found[1]!.path, 'appears more than once');
    if (found.length === 0 && options.mandatory) {
      throw new SztpPayloadError('missing-element', this.childPath(name, module), 'is mandatory');
    }
    return found[0];
  }

  /** Raw text of a single scalar occurrence; JSON values must be strings. */
  private scalarText(o: Occurrence): string {
    if (o.xml !== undefined) {
      if (o.xml.children.length > 0)
        throw new SztpPayloadError('invalid-value', o.path, 'expected a leaf value');
      return o.xml.text;
    }
    if (typeof o.json !== 'string') throw new SztpPayloadError('invalid-value', o.path, 'expected a string');
    return o.json;
  }

  string(name: string, options: LeafOptions & { mandatory: true }): string;
  string(name: string, options?: LeafOptions): string | undefined;
  string(name: string, options: LeafOptions = {}): string | undefined {
    const o = this.single(name, options);
    return o === undefined ? undefined : this.scalarText(o);
  }

  binary(name: string, options: LeafOptions & { mandatory: true }): Uint8Array;
  binary(name: string, options?: LeafOptions): Uint8Array | undefined;
  binary(name: string, options: LeafOptions = {}): Uint8Array | undefined {
    const o = this.single(name, options);
    return o === undefined ? undefined : decodeBinary(this.scalarText(o), o.path);
  }

  enumeration<T extends string>(
    name: string,
    values: readonly T[],
    options: LeafOptions = {},
  ): T | undefined {
    const o = this.single(name, options);
    if (o === undefined) return undefined;
    const text = o.xml !== undefined ? this.scalarText(o).trim() : this.scalarText(o);
    if (!(values as readonly string[]).includes(text)) {
      throw new SztpPayloadError('invalid-value', o.path, `"${text}" is not one of ${values.join(', ')}`);
    }
    return text as T;
  }

  uint16(name: string, options: LeafOptions = {}): number | undefined {
    const o = this.single(name, options);
    if (o === undefined) return undefined;
    // RFC 7951 writes uint16 as a JSON number; a numeric string is accepted too.
    const raw = typeof o.json === 'number' ? String(o.json) : this.scalarText(o).trim();
    if (!/^[0-9]{1,5}$/.test(raw) || Number(raw) > 65_535) {
      throw new SztpPayloadError('invalid-value', o.path, 'expected an integer 0..65535');
    }
    return Number(raw);
  }

  boolean(name: string, options: LeafOptions = {}): boolean | undefined {
    const o = this.single(name, options);
    if (o === undefined) return undefined;
    if (o.xml === undefined) {
      if (typeof o.json !== 'boolean')
        throw new SztpPayloadError('invalid-value', o.path, 'expected true or false');
      return o.json;
    }
    const text = this.scalarText(o).trim();
    if (text !== 'true' && text !== 'false') {
      throw new SztpPayloadError('invalid-value', o.path, 'expected true or false');
    }
    return text === 'true';
  }

  /** A leaf of type `empty`: JSON `[null]` (RFC 7951; bare `null` accepted), XML `<leaf/>`. */
  empty(name: string, options: LeafOptions = {}): boolean {
    const o = this.single(name, options);
    if (o === undefined) return false;
    const ok =
      o.xml !== undefined
        ? o.xml.children.length === 0 && o.xml.text.trim() === ''
        : o.json === null || (Array.isArray(o.json) && o.json.length === 1 && o.json[0] === null);
    if (!ok) throw new SztpPayloadError('invalid-value', o.path, 'a leaf of type empty carries no value');
    return true;
  }

  private identityOf<T>(o: Occurrence, text: string, choices: readonly IdentityChoice<T>[]): T {
    const value = text.trim();
    const colon = value.indexOf(':');
    const prefix = colon >= 0 ? value.slice(0, colon) : undefined;
    const local = colon >= 0 ? value.slice(colon + 1) : value;
    // JSON qualifies with the module name; XML with a declared prefix (the module name is also
    // accepted as a prefix, undeclared, because hand-written XML often does that).
    const prefixModule =
      prefix === undefined
        ? undefined
        : (moduleByNamespace(o.xml?.namespaces.get(prefix) ?? '') ?? moduleByName(prefix));
    const match = choices.find(
      (c) => c.identity === local && (prefix === undefined || prefixModule === c.module),
    );
    if (match === undefined) {
      throw new SztpPayloadError('invalid-value', o.path, `"${value}" is not an accepted identity`);
    }
    return match.value;
  }

  identity<T>(
    name: string,
    choices: readonly IdentityChoice<T>[],
    options: LeafOptions & { mandatory: true },
  ): T;
  identity<T>(name: string, choices: readonly IdentityChoice<T>[], options?: LeafOptions): T | undefined;
  identity<T>(name: string, choices: readonly IdentityChoice<T>[], options: LeafOptions = {}): T | undefined {
    const o = this.single(name, options);
    return o === undefined ? undefined : this.identityOf(o, this.scalarText(o), choices);
  }

  private leafListTexts(name: string, options: LeafOptions): { o: Occurrence; text: string; path: string }[] {
    const found = this.take(name, options.module ?? this.module);
    const out: { o: Occurrence; text: string; path: string }[] = [];
    for (const o of found) {
      if (o.xml !== undefined) {
        out.push({ o, text: this.scalarText(o), path: `${o.path}[${out.length}]` });
        continue;
      }
      if (!Array.isArray(o.json))
        throw new SztpPayloadError('invalid-value', o.path, 'expected a JSON array');
      o.json.forEach((item, index) => {
        const path = `${o.path}[${index}]`;
        if (typeof item !== 'string') throw new SztpPayloadError('invalid-value', path, 'expected a string');
        out.push({ o, text: item, path });
      });
    }
    if (found.length > 1 && found.some((o) => o.xml === undefined)) {
      throw new SztpPayloadError('bad-element', found[1]!.path, 'appears more than once');
    }
    return out;
  }

  stringList(name: string, options: LeafOptions = {}): string[] {
    return this.leafListTexts(name, options).map((item) => item.text);
  }

  binaryList(name: string, options: LeafOptions = {}): Uint8Array[] {
    return this.leafListTexts(name, options).map((item) => decodeBinary(item.text, item.path));
  }

  identityList<T>(name: string, choices: readonly IdentityChoice<T>[], options: LeafOptions = {}): T[] {
    return this.leafListTexts(name, options).map((item) =>
      this.identityOf({ ...item.o, path: item.path }, item.text, choices),
    );
  }

  container(name: string, options: LeafOptions & { mandatory: true }): YangReader;
  container(name: string, options?: LeafOptions): YangReader | undefined;
  container(name: string, options: LeafOptions = {}): YangReader | undefined {
    const o = this.single(name, options);
    if (o === undefined) return undefined;
    const module = options.module ?? this.module;
    return o.xml !== undefined
      ? YangReader.xmlNode(o.xml, o.path, module, this.shared)
      : YangReader.jsonNode(o.json, o.path, module, this.shared);
  }

  list(name: string, options: LeafOptions = {}): YangReader[] {
    const module = options.module ?? this.module;
    const found = this.take(name, module);
    if (found.length > 1 && found.some((o) => o.xml === undefined)) {
      throw new SztpPayloadError('bad-element', found[1]!.path, 'appears more than once');
    }
    const entries: YangReader[] = [];
    for (const o of found) {
      if (o.xml !== undefined) {
        entries.push(YangReader.xmlNode(o.xml, `${o.path}[${entries.length}]`, module, this.shared));
        continue;
      }
      if (!Array.isArray(o.json))
        throw new SztpPayloadError('invalid-value', o.path, 'expected a JSON array');
      o.json.forEach((item, index) =>
        entries.push(YangReader.jsonNode(item, `${o.path}[${index}]`, module, this.shared)),
      );
    }
    if (entries.length === 0 && options.mandatory) {
      throw new SztpPayloadError('missing-element', this.childPath(name, module), 'needs at least one entry');
    }
    return entries;
  }

  /** Fails on members nothing consumed (unless `ignoreUnknown`). Call after reading a node. */
  finish(): void {
    for (const o of this.occurrences) {
      if (this.used.has(o)) continue;
      if (this.shared.options.ignoreUnknown) {
        this.shared.ignored.push(o.path);
        continue;
      }
      if (o.module === undefined) throw new SztpPayloadError('unknown-namespace', o.path, 'unknown module');
      throw new SztpPayloadError('unknown-element', o.path, 'is not defined here');
    }
  }
}

/**
 * Opens a document whose single top-level node is `module:name` (one of `names`). The wrapper may
 * be written unqualified in JSON (`{"input": ...}`), and in XML without a namespace or with a
 * differently-cased one: real agents do both.
 */
export function readDocument(
  body: string,
  encoding: Encoding,
  module: YangModule,
  names: readonly string[],
  options: ReadOptions = {},
): { name: string; reader: YangReader } {
  if (encoding === 'xml') {
    const root = parseXml(body);
    const path = `/${module.name}:${root.name}`;
    if (!names.includes(root.name))
      throw new SztpPayloadError('unknown-element', path, 'unexpected document element');
    if (root.namespace !== '' && moduleByNamespace(root.namespace) !== module) {
      throw new SztpPayloadError(
        'unknown-namespace',
        path,
        `namespace "${root.namespace}" is not ${module.namespace}`,
      );
    }
    return { name: root.name, reader: YangReader.fromXml(root, module, options) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new SztpPayloadError('malformed-message', '', `JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new SztpPayloadError('malformed-message', '', 'expected a JSON object');
  const keys = Object.keys(parsed);
  if (keys.length !== 1) {
    throw new SztpPayloadError(
      'malformed-message',
      '',
      `expected exactly one top-level member, found ${keys.length}`,
    );
  }
  const key = keys[0]!;
  const colon = key.indexOf(':');
  const name = colon >= 0 ? key.slice(colon + 1) : key;
  if (colon >= 0 && key.slice(0, colon) !== module.name) {
    throw new SztpPayloadError('unknown-namespace', `/${key}`, `expected module ${module.name}`);
  }
  if (!names.includes(name))
    throw new SztpPayloadError('unknown-element', `/${key}`, 'unexpected top-level member');
  return { name, reader: YangReader.fromJson(parsed[key], `/${module.name}:${name}`, module, options) };
}

import { serializeXml, type XmlOutputElement } from '../xml/xml';
import { type YangModule } from './modules';

/**
 * A schema-free YANG instance tree used for emission. Each shape builds one of these once and it
 * is written as RFC 7951 JSON or RFC 7950/8040 XML, so both encodings always carry the same data.
 */
export type YangScalar = string | number | boolean | YangEmpty | YangIdentity | YangInstanceIdentifier;

/** The value of a leaf of type `empty`: JSON `[null]`, XML `<leaf/>`. */
export interface YangEmpty {
  readonly empty: true;
}
export const EMPTY: YangEmpty = { empty: true };

/** An identityref value; always written module-qualified (OPI's agent and IOS-XE require it). */
export interface YangIdentity {
  readonly module: YangModule;
  readonly identity: string;
}

/**
 * An instance-identifier written with module names as prefixes (`/ietf-x:a/b`). In XML the
 * prefixes must be declared, so the modules it names are listed.
 */
export interface YangInstanceIdentifier {
  readonly path: string;
  readonly modules: readonly YangModule[];
}

export type YangValue =
  | { readonly kind: 'container'; readonly members: readonly YangMember[] }
  | { readonly kind: 'list'; readonly entries: readonly (readonly YangMember[])[] }
  | { readonly kind: 'leaf'; readonly value: YangScalar }
  | { readonly kind: 'leaf-list'; readonly values: readonly YangScalar[] };

export interface YangMember {
  readonly module: YangModule;
  readonly name: string;
  readonly value: YangValue;
}

type Maybe<T> = T | undefined;

/** Builders that drop absent (undefined) values, so shapes read as plain declarations. */
export const y = {
  leaf(module: YangModule, name: string, value: Maybe<YangScalar>): Maybe<YangMember> {
    return value === undefined ? undefined : { module, name, value: { kind: 'leaf', value } };
  },
  leafList(module: YangModule, name: string, values: Maybe<readonly YangScalar[]>): Maybe<YangMember> {
    return values === undefined || values.length === 0
      ? undefined
      : { module, name, value: { kind: 'leaf-list', values } };
  },
  container(module: YangModule, name: string, members: readonly Maybe<YangMember>[]): YangMember {
    return { module, name, value: { kind: 'container', members: members.filter(isMember) } };
  },
  /** A non-presence container: omitted when it would be empty. */
  optionalContainer(
    module: YangModule,
    name: string,
    members: readonly Maybe<YangMember>[],
  ): Maybe<YangMember> {
    const present = members.filter(isMember);
    return present.length === 0
      ? undefined
      : { module, name, value: { kind: 'container', members: present } };
  },
  list(
    module: YangModule,
    name: string,
    entries: Maybe<readonly (readonly Maybe<YangMember>[])[]>,
  ): Maybe<YangMember> {
    return entries === undefined || entries.length === 0
      ? undefined
      : { module, name, value: { kind: 'list', entries: entries.map((e) => e.filter(isMember)) } };
  },
};

function isMember(member: Maybe<YangMember>): member is YangMember {
  return member !== undefined;
}

function isEmpty(value: YangScalar): value is YangEmpty {
  return typeof value === 'object' && 'empty' in value;
}

function jsonScalar(value: YangScalar): unknown {
  if (isEmpty(value)) return [null];
  if (typeof value === 'object')
    return 'path' in value ? value.path : `${value.module.name}:${value.identity}`;
  return value;
}

function jsonValue(value: YangValue, module: YangModule): unknown {
  switch (value.kind) {
    case 'leaf':
      return jsonScalar(value.value);
    case 'leaf-list':
      return value.values.map(jsonScalar);
    case 'container':
      return jsonObject(value.members, module);
    case 'list':
      return value.entries.map((entry) => jsonObject(entry, module));
  }
}

function jsonObject(members: readonly YangMember[], parent: YangModule | undefined): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const member of members) {
    const key = member.module === parent ? member.name : `${member.module.name}:${member.name}`;
    object[key] = jsonValue(member.value, member.module);
  }
  return object;
}

/** RFC 7951 JSON object (`{"module:name": ...}`) for top-level members. */
export function toJsonObject(members: readonly YangMember[]): Record<string, unknown> {
  return jsonObject(members, undefined);
}

export function toJson(member: YangMember): string {
  return JSON.stringify(toJsonObject([member]));
}

function xmlScalar(value: YangScalar): { text: string; declarations?: Record<string, string> } {
  if (isEmpty(value)) return { text: '' };
  if (typeof value === 'object' && 'path' in value) {
    return {
      text: value.path,
      declarations: Object.fromEntries(value.modules.map((m) => [m.name, m.namespace])),
    };
  }
  if (typeof value === 'object') {
    return {
      text: `${value.module.name}:${value.identity}`,
      declarations: { [value.module.name]: value.module.namespace },
    };
  }
  return { text: String(value) };
}

function xmlElements(member: YangMember): XmlOutputElement[] {
  const base = { name: member.name, namespace: member.module.namespace };
  const value = member.value;
  switch (value.kind) {
    case 'leaf':
      return [{ ...base, ...xmlScalar(value.value) }];
    case 'leaf-list':
      return value.values.map((v) => ({ ...base, ...xmlScalar(v) }));
    case 'container':
      return [{ ...base, children: value.members.flatMap(xmlElements) }];
    case 'list':
      return value.entries.map((entry) => ({ ...base, children: entry.flatMap(xmlElements) }));
  }
}

/** XML document for one top-level member (a container or a leaf). */
export function toXml(member: YangMember): string {
  const elements = xmlElements(member);
  if (elements.length !== 1) throw new TypeError('toXml needs a single top-level element');
  return serializeXml(elements[0]!);
}

import { describe, expect, it } from 'vitest';
import { SztpPayloadError } from '../errors';
import { parseXml, serializeXml } from './xml';

function xmlError(text: string): SztpPayloadError {
  try {
    parseXml(text);
  } catch (err) {
    expect(err).toBeInstanceOf(SztpPayloadError);
    return err as SztpPayloadError;
  }
  throw new Error('expected a rejection');
}

describe('parseXml (element-only subset)', () => {
  it('resolves default and prefixed namespaces, attributes, references and CDATA', () => {
    const root = parseXml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<!-- lead -->\n<input xmlns="urn:a" xmlns:b="urn:b" note='x &amp; y'>\n` +
        `  <hw-model>m &lt;1&gt; &#65;&#x42;</hw-model>\n  <b:extra><![CDATA[<raw>&]]></b:extra>\n  <empty/>\n</input>\n`,
    );
    expect(root).toMatchObject({ name: 'input', namespace: 'urn:a', path: '/input' });
    expect(root.attributes.get('note')).toBe('x & y');
    const [model, extra, empty] = root.children;
    expect(model).toMatchObject({ name: 'hw-model', namespace: 'urn:a', text: 'm <1> AB' });
    expect(extra).toMatchObject({
      name: 'extra',
      prefix: 'b',
      namespace: 'urn:b',
      text: '<raw>&',
      path: '/input/b:extra',
    });
    expect(empty).toMatchObject({ name: 'empty', text: '', children: [] });
  });

  it.each([
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', /DTD/],
    ['an undeclared entity', '<x>&e;</x>', /entity &e;/],
    ['a processing instruction', '<x><?php echo 1 ?></x>', /processing instructions/],
    ['mixed content', '<x>text<y/></x>', /mixed content/],
    ['an undeclared prefix', '<p:x/>', /undeclared prefix/],
    ['mismatched tags', '<x><y></x></y>', /unexpected end tag/],
    ['a missing end tag', '<x><y/>', /missing end tag/],
    ['two roots', '<x/><y/>', /more than one root/],
    ['text outside the root', '<x/>junk', /outside the root/],
    ['duplicate attributes', '<x a="1" a="2"/>', /duplicate attribute/],
    ['a bare ampersand', '<x>a & b</x>', /reference/],
    ['an invalid character reference', '<x>&#0;</x>', /character reference/],
    ['a non-UTF-8 declaration', '<?xml version="1.0" encoding="ISO-8859-1"?><x/>', /encoding/],
    ['an empty document', '  ', /no root/],
    ['"--" inside a comment', '<x><!-- a -- b --></x>', /comment/],
  ])('refuses %s', (_name, text, message) => {
    const error = xmlError(text);
    expect(error.errorTag).toBe('malformed-message');
    expect(error.message).toMatch(message);
  });

  it('limits depth and element count', () => {
    expect(() => parseXml('<a><b><c/></b></a>', { maxDepth: 2 })).toThrow(/nesting deeper/);
    expect(() => parseXml('<a><b/><b/><b/></a>', { maxElements: 3 })).toThrow(/more than 3 elements/);
  });

  it('serialises with namespace declarations only where they change, escaping text', () => {
    const text = serializeXml({
      name: 'output',
      namespace: 'urn:a',
      children: [
        { name: 'leaf', namespace: 'urn:a', text: 'a<b>&c' },
        { name: 'aug', namespace: 'urn:b', declarations: { m: 'urn:m' }, text: 'm:x' },
        { name: 'flag', namespace: 'urn:a' },
      ],
    });
    expect(text).toBe(
      '<output xmlns="urn:a"><leaf>a&lt;b&gt;&amp;c</leaf><aug xmlns="urn:b" xmlns:m="urn:m">m:x</aug><flag/></output>',
    );
    const back = parseXml(text);
    expect(back.children[0]!.text).toBe('a<b>&c');
    expect(back.children[1]!.namespaces.get('m')).toBe('urn:m');
  });
});

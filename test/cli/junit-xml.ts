// A strict reader of the XML subset the --junit report uses, for the tests: it throws on anything not well-formed
// (mismatched or unclosed tags, a bare & or <, unknown entities, characters XML 1.0 forbids, duplicate attributes,
// a second root), and gives the element tree.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text, entities resolved. */
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;

function decode(raw: string, where: number): string {
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/.test(raw)) throw new Error(`a character XML forbids near offset ${where}`);
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(raw)) throw new Error(`a lone surrogate near offset ${where}`);
  if (raw.includes('<')) throw new Error(`a bare < near offset ${where}`);
  return raw.replace(/&([^;]*);|&/g, (m, ent: string | undefined) => {
    if (ent === undefined) throw new Error(`a bare & near offset ${where}`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ent in named) return named[ent];
    const num = /^#(\d+)$/.exec(ent) ?? /^#x([0-9a-f]+)$/i.exec(ent);
    if (!num) throw new Error(`unknown entity &${ent}; near offset ${where}`);
    const code = parseInt(num[1], ent[1] === 'x' ? 16 : 10);
    const allowed = code === 9 || code === 10 || code === 13 || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
    if (!allowed) throw new Error(`a reference to a forbidden character ${m} near offset ${where}`);
    return String.fromCodePoint(code);
  });
}

/** Parses a whole document: an optional <?xml ...?> declaration, then exactly one root element. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const decl = /^<\?xml[^?]*\?>/.exec(text);
  if (decl) i = decl[0].length;
  const space = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const element = (): XmlElement => {
    if (text[i] !== '<') throw new Error(`expected < at offset ${i}`);
    i++;
    const name = NAME.exec(text.slice(i))?.[0];
    if (!name) throw new Error(`expected an element name at offset ${i}`);
    i += name.length;
    const el: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      space();
      if (text.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      if (i === before) throw new Error(`expected whitespace before an attribute at offset ${i}`);
      const m = /^([A-Za-z_:][\w.:-]*)\s*=\s*"([^"]*)"/.exec(text.slice(i));
      if (!m) throw new Error(`malformed attribute at offset ${i}`);
      if (m[1] in el.attrs) throw new Error(`duplicate attribute ${m[1]} at offset ${i}`);
      el.attrs[m[1]] = decode(m[2], i);
      i += m[0].length;
    }
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt < 0) throw new Error(`<${name}> is not closed`);
      el.text += decode(text.slice(i, lt), i);
      i = lt;
      if (text.startsWith('</', i)) {
        const close = `</${name}>`;
        if (!text.startsWith(close, i)) throw new Error(`expected ${close} at offset ${i}`);
        i += close.length;
        return el;
      }
      el.children.push(element());
    }
  };
  space();
  const root = element();
  space();
  if (i !== text.length) throw new Error(`content after the root element at offset ${i}`);
  return root;
}

/** All descendants named `name`, in document order. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...findAll(c, name)]);
}

// XML as devices send it (SOAP for WS-Discovery, ISAPI answers), read with fast-xml-parser: namespace prefixes
// dropped, every value kept as its text, entities decoded; a malformed document reads as nothing.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, removeNSPrefix: true, ignoreDeclaration: true, trimValues: true });

export type XmlNode = string | XmlNode[] | { [name: string]: XmlNode };

/** The document, or undefined when it is not well-formed XML. */
export function parseXml(text: string): XmlNode | undefined {
  if (XMLValidator.validate(text) !== true) return undefined;
  return parser.parse(text) as XmlNode;
}

/** Every element of this local name below `node`, in document order, whatever its depth. */
export function elementsOf(node: XmlNode | undefined, name: string): XmlNode[] {
  if (node === undefined || typeof node === 'string') return [];
  if (Array.isArray(node)) return node.flatMap((n) => elementsOf(n, name));
  return Object.entries(node).flatMap(([key, value]) => [...(key === name ? (Array.isArray(value) ? value : [value]) : []), ...elementsOf(value, name)]);
}

/** The text of the first element of this local name, if it holds text. */
export function textOf(node: XmlNode | undefined, name: string): string | undefined {
  const first = elementsOf(node, name)[0];
  return typeof first === 'string' ? first : undefined;
}

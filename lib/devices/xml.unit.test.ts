import { elementsOf, parseXml, textOf } from './xml.js';

describe('device XML', () => {
  it('reads elements by local name at any depth, whatever the prefix, with entities decoded', () => {
    const doc = parseXml('<?xml version="1.0"?><s:Envelope xmlns:s="x" xmlns:a="y"><s:Body><a:Item>one</a:Item><b><Item> two &amp; three </Item></b></s:Body></s:Envelope>');
    expect(elementsOf(doc, 'Item')).toEqual(['one', 'two & three']);
    expect(textOf(doc, 'Item')).toBe('one');
    expect(textOf(doc, 'Missing')).toBeUndefined();
  });

  it.each([['text', 'not xml'], ['an unclosed element', '<a><b></a>'], ['bytes', '\u0000\u0001garbage']])('reads %s as nothing', (_, text) => {
    expect(parseXml(text)).toBeUndefined();
  });
});

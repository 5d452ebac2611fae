import { originsOf } from './static.js';

describe('originsOf', () => {
  it('keeps each media node origin once, sorted, and leaves out a malformed base URL', () => {
    expect(
      originsOf(['https://fsn1-b.media.example.org/', 'https://fsn1-a.media.example.org', 'https://fsn1-a.media.example.org:443/x', 'not a url', 'http://127.0.0.1:8889']),
    ).toEqual(['http://127.0.0.1:8889', 'https://fsn1-a.media.example.org', 'https://fsn1-b.media.example.org']);
  });
});

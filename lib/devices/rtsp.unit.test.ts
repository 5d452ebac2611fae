import { parseResponse } from './rtsp.js';
import { authorization, parseChallenge } from './digest.js';

describe('RTSP responses', () => {
  test('splits a response with a body and keeps what follows', () => {
    const raw = Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 2\r\nServer: Hik\r\nContent-Length: 4\r\n\r\nv=0\nRTSP/1.0');
    const parsed = parseResponse(raw);
    expect(parsed?.response).toEqual({ status: 200, headers: new Map([['cseq', ['2']], ['server', ['Hik']], ['content-length', ['4']]]), body: 'v=0\n' });
    expect(parsed?.rest.toString()).toBe('RTSP/1.0');
  });
  test('waits for the rest of a body', () => {
    expect(parseResponse(Buffer.from('RTSP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nv=0'))).toBeUndefined();
  });
  test('keeps repeated headers, as servers offering Digest and Basic send', () => {
    const raw = Buffer.from('RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm="a", nonce="b"\r\nWWW-Authenticate: Basic realm="a"\r\n\r\n');
    expect(parseResponse(raw)?.response.headers.get('www-authenticate')).toEqual(['Digest realm="a", nonce="b"', 'Basic realm="a"']);
  });
  test('refuses what is not RTSP', () => {
    expect(() => parseResponse(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow('not an RTSP server');
  });
});

describe('RTSP authentication', () => {
  test('computes the RFC 2617 §3.5 example digest', () => {
    const challenge =
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
    const header = authorization([challenge], 'GET', '/dir/index.html', { username: 'Mufasa', password: 'Circle Of Life' }, '0a4f113b');
    expect(header).toBe(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", ' +
        'response="6629fae49393a05397450978507c4ef1", qop=auth, nc=00000001, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
  });
  test('prefers Digest over Basic when both are offered', () => {
    expect(authorization(['Basic realm="x"', 'Digest realm="x", nonce="n"'], 'DESCRIBE', 'rtsp://h/p', { username: 'u', password: 'p' })).toMatch(/^Digest /);
  });
  test('sends Basic only when asked for it', () => {
    expect(authorization(['Basic realm="x"'], 'DESCRIBE', 'rtsp://h/p', { username: 'u', password: 'p' })).toBe('Basic dTpw');
    expect(authorization([], 'DESCRIBE', 'rtsp://h/p', { username: 'u', password: 'p' })).toBeUndefined();
  });
  test('parses quoted parameters with commas', () => {
    expect(parseChallenge('Digest qop="auth,auth-int", realm="a,b"').params).toEqual(new Map([['qop', 'auth,auth-int'], ['realm', 'a,b']]));
  });
});

import { admit, parseAllowlist } from './allowlist.js';
import { tokenMatches } from './auth.js';

const allowlist = parseAllowlist(
  JSON.stringify({
    node: 'media-1',
    targets: [{ nvr: 'school-a/nvr-main', host: 'nvr.school-a.example', ports: [554, 80], rtspPort: 554, onvifPort: 80, credentialsSecret: 'nvr-main' }],
  }),
);

describe('admission by the node allowlist', () => {
  test('admits a declared port of an NVR of this node', () => {
    expect(admit(allowlist, 'media-1', 'school-a/nvr-main', 554)).toEqual({ admitted: true, target: allowlist.targets[0] });
  });
  test.each([
    ['media-1', 'school-a/nvr-other', 554, 'school-a/nvr-other is not assigned to node media-1'],
    ['media-1', 'school-a/nvr-main', 22, 'port 22 is not declared for school-a/nvr-main'],
    ['media-2', 'school-a/nvr-main', 554, 'allowlist is for node media-1, not media-2'],
  ])('on node %s refuses %s:%d', (node, nvr, port, message) => {
    expect(admit(allowlist, node, nvr, port)).toEqual({ admitted: false, message });
  });
  test('refuses everything without an allowlist', () => {
    expect(admit(undefined, 'media-1', 'school-a/nvr-main', 554)).toEqual({ admitted: false, message: 'no allowlist loaded' });
  });
  test('rejects a file whose RTSP port is not among the declared ports', () => {
    expect(() => parseAllowlist(JSON.stringify({ node: 'n', targets: [{ nvr: 'a/b', host: 'h', ports: [80], rtspPort: 554 }] }))).toThrow('rtspPort must be one of ports');
  });
  test('rejects a host that could smuggle text into an RTSP request line', () => {
    expect(() => parseAllowlist(JSON.stringify({ node: 'n', targets: [{ nvr: 'a/b', host: 'h\r\nX: y', ports: [554] }] }))).toThrow('must be a DNS name or an IP address');
  });
  test('rejects unknown keys rather than ignoring them', () => {
    expect(() => parseAllowlist(JSON.stringify({ node: 'n', targets: [], allowPrivate: true }))).toThrow();
  });
});

describe('caller tokens', () => {
  test('match only exactly, against any accepted token', () => {
    const accepted = ['a'.repeat(32), 'b'.repeat(32)];
    expect(tokenMatches('b'.repeat(32), accepted)).toBe(true);
    expect(tokenMatches('b'.repeat(31), accepted)).toBe(false);
    expect(tokenMatches('', ['', ...accepted])).toBe(false);
    expect(tokenMatches('a'.repeat(32), [])).toBe(false);
  });
});

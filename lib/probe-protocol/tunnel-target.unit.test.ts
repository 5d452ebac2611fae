import { parseAllowlist } from './allowlist.js';
import { renderProbeAllowlist } from './render-allowlist.js';

describe('a tunnel target in the probe allowlist', () => {
  const render = (host: string) => renderProbeAllowlist('node-a', [{ namespace: 'f', name: 'n', publicHost: host, publicRtspPort: 554, tunnel: true }]);

  it('is rendered with its LAN address and marked as such', () => {
    expect(JSON.parse(render('192.168.10.5'))).toEqual({ node: 'node-a', targets: [{ nvr: 'f/n', host: '192.168.10.5', ports: [554], rtspPort: 554, tunnel: true }] });
    expect(parseAllowlist(render('192.168.10.5')).targets[0]!.tunnel).toBe(true);
  });

  it.each(['203.0.113.5', 'nvr.example.org', '127.0.0.1', '169.254.169.254', '100.64.0.1'])('is refused for %s, which is no school LAN address', (host) => {
    expect(() => parseAllowlist(render(host))).toThrow('a tunnel target is an IPv4 address');
  });
});

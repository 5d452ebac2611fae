import { parseAllowlist } from './allowlist.js';
import { renderProbeAllowlist } from './render-allowlist.js';

describe('the allowlist the operator renders for a node', () => {
  test('lists each NVR with its public host and declared ports, sorted, and parses back', () => {
    const text = renderProbeAllowlist('media-1', [
      { namespace: 'school-b', name: 'nvr', publicHost: '203.0.113.9', publicRtspPort: 554 },
      { namespace: 'school-a', name: 'nvr', publicHost: 'nvr.school-a.example', publicRtspPort: 10554, publicOnvifPort: 8080, publicHttpPort: 8080, credentialsSecret: 'nvr-creds' },
    ]);
    expect(parseAllowlist(text)).toEqual({
      node: 'media-1',
      targets: [
        { nvr: 'school-a/nvr', host: 'nvr.school-a.example', ports: [8080, 10554], rtspPort: 10554, onvifPort: 8080, credentialsSecret: 'nvr-creds' },
        { nvr: 'school-b/nvr', host: '203.0.113.9', ports: [554], rtspPort: 554 },
      ],
    });
    expect(renderProbeAllowlist('media-1', [])).toBe('{\n  "node": "media-1",\n  "targets": []\n}\n');
  });
});

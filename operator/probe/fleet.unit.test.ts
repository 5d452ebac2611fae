import { parseAllowlist } from './allowlist.js';
import { discoveredCamerasOf, renderProbeAllowlist } from './fleet.js';

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

describe('ONVIF cameras as Nvr status', () => {
  test('ids become unique DNS labels; main and sub paths and codecs are kept', () => {
    const main = { profileToken: 'p1', path: '/Streaming/Channels/101', codec: 'H265', width: 2560, height: 1440 };
    const sub = { profileToken: 'p2', path: '/Streaming/Channels/102', codec: 'H264', width: 640, height: 360 };
    expect(
      discoveredCamerasOf([
        { id: 'VideoSource_1', name: 'Gate', main, sub },
        { id: 'videosource-1', name: 'Hall', main: { profileToken: 'p3' } },
        { id: '___', name: 'Yard', main: { profileToken: 'p4' } },
      ]),
    ).toEqual([
      { id: 'videosource-1', name: 'Gate', mainPath: '/Streaming/Channels/101', subPath: '/Streaming/Channels/102', codec: 'H265', subCodec: 'H264', width: 2560, height: 1440 },
      { id: 'videosource-1-2', name: 'Hall' },
      { id: 'camera', name: 'Yard' },
    ]);
  });
});

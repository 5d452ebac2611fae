import { mediaNode, nvr } from '../../test/fixtures/fleet.js';
import { publishedCameras } from './fleet.js';
import { DEFAULT_RENDER_OPTIONS, REDACTED, renderMediaMtxConfig, renderShardConfig, validateMediaMtxConfig, yamlScalar, type MediaMtxConfig } from './mediamtx.js';
import { openMediaMtxConfig, sealMediaMtxConfig } from './seal.js';
import { stringify } from 'yaml';

const node = mediaNode('fsn1-a', { egressIPs: ['198.51.100.20', '198.51.100.10'] });
const creds = { username: 'admin', password: 'p@ss:word/1' };

describe('publishedCameras', () => {
  it('derives vendor paths from channels and skips disabled cameras', () => {
    const n = nvr('main', 's1', 0, {
      cameras: [
        { id: 'door', name: 'Door', enabled: true, stream: 'main', channel: 1 },
        { id: 'yard', name: 'Yard', enabled: true, stream: 'sub', channel: 2 },
        { id: 'off', name: 'Off', enabled: false, stream: 'main', channel: 3 },
      ],
    });
    expect(publishedCameras(n).map((c) => [c.path, c.rtspPath])).toEqual([
      ['s1/main/door', '/Streaming/Channels/101'],
      ['s1/main/yard', '/Streaming/Channels/202'],
    ]);
  });

  it('publishes ONVIF-discovered cameras refined by spec, with an H.264 sub stream beside an H.265 main', () => {
    const n = nvr('main', 's1', 0, {
      vendor: 'onvif',
      onvifSync: true,
      cameras: [{ id: 'p1', name: 'Renamed', enabled: true, stream: 'main' }, { id: 'p2', name: 'Hidden', enabled: false, stream: 'main' }],
    });
    n.status = {
      discoveredCameras: [
        { id: 'p1', name: 'Cam 1', mainPath: '/onvif/main1', subPath: '/onvif/sub1', codec: 'H265', subCodec: 'H264' },
        { id: 'p2', name: 'Cam 2', mainPath: '/onvif/main2' },
        { id: 'p3', name: 'Cam 3', mainPath: '/onvif/main3', codec: 'H264' },
      ],
    };
    expect(publishedCameras(n)).toEqual([
      { path: 's1/main/p1', school: 's1', nvr: 'main', camera: 'p1', name: 'Renamed', rtspPath: '/onvif/main1', codec: 'H265', webrtcFallback: { path: 's1/main/p1/h264', rtspPath: '/onvif/sub1' } },
      { path: 's1/main/p3', school: 's1', nvr: 'main', camera: 'p3', name: 'Cam 3', rtspPath: '/onvif/main3', codec: 'H264' },
    ]);
  });
});

describe('renderMediaMtxConfig', () => {
  const members = [
    { nvr: nvr('b-nvr', 's2', 1, { publicHost: '203.0.113.7', publicRtspPort: 10554 }), cameras: [] as ReturnType<typeof publishedCameras> },
    { nvr: nvr('a-nvr', 's1', 2), cameras: [] as ReturnType<typeof publishedCameras> },
  ].map((m) => ({ ...m, cameras: publishedCameras(m.nvr) }));

  it('renders the whole config: stable globals, every pulled path on demand, credentials URL-encoded', () => {
    const result = renderMediaMtxConfig(node, members, () => creds);
    expect(result.cameraCount).toBe(3);
    expect(result.config).toEqual({
      logLevel: 'info',
      logDestinations: ['stdout'],
      readTimeout: '10s',
      writeTimeout: '10s',
      authMethod: 'jwt',
      authJWTJWKS: 'https://posbon-api.posbon-system.svc:8443/.well-known/jwks.json',
      authJWTClaimKey: 'mediamtx_permissions',
      authJWTIssuer: 'posbon-api',
      authJWTAudience: 'posbon-media-node:fsn1-a',
      authJWTExclude: [{ action: 'metrics' }, { action: 'api' }],
      api: true,
      apiAddress: 'unix:///var/run/posbon-mediamtx/api.sock',
      metrics: true,
      metricsAddress: '127.0.0.1:9998',
      pprof: false,
      playback: false,
      rtsp: false,
      rtmp: false,
      srt: false,
      moq: false,
      hls: true,
      hlsAddress: ':8888',
      hlsAllowOrigins: ['*'],
      hlsVariant: 'lowLatency',
      hlsMuxerCloseAfter: '60s',
      webrtc: true,
      webrtcAddress: ':8889',
      webrtcAllowOrigins: ['*'],
      webrtcLocalUDPAddress: ':8189',
      webrtcIPsFromInterfaces: true,
      webrtcAdditionalHosts: ['198.51.100.10', '198.51.100.20'],
      pathDefaults: { sourceOnDemandStartTimeout: '10s', sourceOnDemandCloseAfter: '10s', rtspTransport: 'tcp' },
      paths: {
        's1/a-nvr/cam1': { source: 'rtsp://admin:p%40ss%3Aword%2F1@203.0.113.10:554/Streaming/Channels/101', sourceOnDemand: true },
        's1/a-nvr/cam2': { source: 'rtsp://admin:p%40ss%3Aword%2F1@203.0.113.10:554/Streaming/Channels/201', sourceOnDemand: true },
        's2/b-nvr/cam1': { source: 'rtsp://admin:p%40ss%3Aword%2F1@203.0.113.7:10554/Streaming/Channels/101', sourceOnDemand: true },
      },
    });
    expect(validateMediaMtxConfig(result.config)).toEqual([]);
  });

  it('pins the JWKS certificate when its fingerprint is given, and refuses a control API on TCP', () => {
    const fingerprint = 'AB'.repeat(32);
    const { config } = renderMediaMtxConfig(node, members, () => creds, { ...DEFAULT_RENDER_OPTIONS, jwksFingerprint: fingerprint });
    expect(config.authJWTJWKSFingerprint).toBe('ab'.repeat(32));
    expect(validateMediaMtxConfig(config)).toEqual([]);
    expect(validateMediaMtxConfig({ ...config, apiAddress: '127.0.0.1:9997', authJWTJWKSFingerprint: 'sha256:ab' })).toEqual([
      'apiAddress: the control API must be a unix:// socket',
      'authJWTJWKSFingerprint: expected the 64 hex digits of a SHA-256',
    ]);
  });

  it('serves WHEP and HLS over TLS from the mounted key pair when the node or the operator names an issuer', () => {
    const plain = renderMediaMtxConfig(node, members, () => creds).config;
    const tlsKeys = {
      hlsEncryption: true,
      hlsServerKey: '/tls/tls.key',
      hlsServerCert: '/tls/tls.crt',
      webrtcEncryption: true,
      webrtcServerKey: '/tls/tls.key',
      webrtcServerCert: '/tls/tls.crt',
    };
    const issuer = { name: 'letsencrypt', kind: 'ClusterIssuer' as const, group: 'cert-manager.io' };
    const byOperator = renderMediaMtxConfig(node, members, () => creds, { ...DEFAULT_RENDER_OPTIONS, certificateIssuer: issuer }).config;
    const byNode = renderMediaMtxConfig(mediaNode('fsn1-a', { egressIPs: node.spec.egressIPs, tls: { issuerRef: issuer } }), members, () => creds).config;
    expect(byOperator).toEqual({ ...plain, ...tlsKeys });
    expect(byNode).toEqual(byOperator);
    expect(Object.keys(byOperator).slice(Object.keys(byOperator).indexOf('hlsAddress'), Object.keys(byOperator).indexOf('hlsAllowOrigins'))).toEqual([
      'hlsAddress',
      'hlsEncryption',
      'hlsServerKey',
      'hlsServerCert',
    ]);
    expect(validateMediaMtxConfig(byOperator)).toEqual([]);
  });

  it('is deterministic whatever the order of its members', () => {
    expect(renderMediaMtxConfig(node, [...members].reverse(), () => creds).yaml).toBe(renderMediaMtxConfig(node, members, () => creds).yaml);
  });

  it('leaves out NVRs whose credentials are missing and names them', () => {
    const result = renderMediaMtxConfig(node, members, (n) => (n.metadata.name === 'a-nvr' ? undefined : creds));
    expect(Object.keys(result.config.paths)).toEqual(['s2/b-nvr/cam1']);
    expect(result.missingCredentials).toEqual(['posbon-fleet/a-nvr']);
  });

  it('gives the operator the same text and the same problems without the config object', () => {
    const broken = { ...members[0]!, cameras: members[0]!.cameras.map((c) => ({ ...c, path: `${c.path} x`, rtspPath: ' bad' })) };
    for (const shard of [members, [...members, broken]]) {
      const full = renderMediaMtxConfig(node, shard, () => creds);
      expect(renderShardConfig(node, shard, () => creds, DEFAULT_RENDER_OPTIONS)).toEqual({
        yaml: full.yaml,
        cameraCount: full.cameraCount,
        problems: validateMediaMtxConfig(full.config),
      });
    }
    expect(renderShardConfig(node, [...members, broken], () => creds, DEFAULT_RENDER_OPTIONS).problems).toEqual(['path s2/b-nvr/cam1 x: invalid name', 'path s2/b-nvr/cam1 x: invalid source URL']);
  });

  it('joins the same text and problems from each NVR\'s part, whatever names, sources and credentials the shard holds', () => {
    // Names whose paths sort across one another's ('-' sorts before '/'), fallback paths, hand-built cameras, a name in
    // two namespaces, missing credentials and sources that are not plain.
    const discovered = (id: string) => ({ id, name: id, mainPath: `/${id}/main`, codec: 'H265', subPath: `/${id}/sub`, subCodec: 'H264' });
    const onvif = (name: string, school: string, ids: string[]) =>
      nvr(name, school, 0, { onvifSync: true, cameras: ids.map((id) => ({ id, name: id, enabled: true, stream: 'main' as const })) });
    const nvrs = [
      nvr('a', 's', 3),
      nvr('a-b', 's', 2),
      nvr('a0', 's', 1, { publicHost: '2001:db8::7' }),
      nvr('b', 's-1', 2, { publicHost: 'bad host' }),
      nvr('c', 's1', 2, { cameras: [{ id: 'cam1', name: 'one', enabled: true, stream: 'main', rtspPath: '/with space' }, { id: 'cam1-x', name: 'two', enabled: true, stream: 'main', channel: 2 }] }),
      { ...onvif('d', 's', ['cam1', 'cam1-x', 'cam2']), status: { discoveredCameras: [discovered('cam1'), discovered('cam1-x'), discovered('cam2')] } },
      nvr('e', 's2', 2),
      nvr('a', 's', 2, {}, 'other-namespace'),
    ];
    const members = nvrs.map((n) => ({ nvr: n, cameras: publishedCameras(n) }));
    const handBuilt = { nvr: nvr('f', 's3', 1), cameras: [{ ...publishedCameras(nvr('f', 's3', 1))[0]!, path: 'elsewhere/cam1' }] };
    const credentialsOf = (n: { metadata: { name: string } }) => (n.metadata.name === 'e' ? undefined : n.metadata.name === 'b' ? { username: 'u', password: "it's" } : creds);
    const shards = [members.slice(0, 7), [...members.slice(0, 7)].reverse(), members, [...members.slice(0, 3), handBuilt], []];
    for (const shard of shards) {
      const full = renderMediaMtxConfig(node, shard, credentialsOf);
      expect(renderShardConfig(node, shard, credentialsOf, DEFAULT_RENDER_OPTIONS)).toEqual({ yaml: full.yaml, cameraCount: full.cameraCount, problems: validateMediaMtxConfig(full.config) });
    }
    expect(Object.keys(renderMediaMtxConfig(node, members.slice(0, 7), credentialsOf).config.paths)).toEqual(
      expect.arrayContaining(['s/a-b/cam1', 's/a/cam1', 's/d/cam1-x/h264', 's/d/cam1/h264']),
    );
  });

  it('renders an NVR\'s part again when its credentials or cameras change, not when its object is the same', () => {
    const n = nvr('a', 's', 2);
    const cameras = publishedCameras(n);
    const first = renderShardConfig(node, [{ nvr: n, cameras }], () => creds, DEFAULT_RENDER_OPTIONS).yaml;
    expect(renderShardConfig(node, [{ nvr: n, cameras }], () => ({ ...creds }), DEFAULT_RENDER_OPTIONS).yaml).toBe(first);
    const changed = renderShardConfig(node, [{ nvr: n, cameras }], () => ({ ...creds, password: 'new' }), DEFAULT_RENDER_OPTIONS).yaml;
    expect(changed).toBe(renderMediaMtxConfig(node, [{ nvr: n, cameras }], () => ({ ...creds, password: 'new' })).yaml);
    expect(changed).not.toBe(first);
    // The same credentials as the part last rendered, and fewer cameras.
    const fewer = renderShardConfig(node, [{ nvr: n, cameras: cameras.slice(1) }], () => ({ ...creds, password: 'new' }), DEFAULT_RENDER_OPTIONS).yaml;
    expect(fewer).toBe(renderMediaMtxConfig(node, [{ nvr: n, cameras: cameras.slice(1) }], () => ({ ...creds, password: 'new' })).yaml);
    expect(fewer).not.toContain('s/a/cam1:');
  });

  it('renders a redacted config for review with no real credential in it', () => {
    const { yaml } = renderMediaMtxConfig(node, members, () => REDACTED);
    expect(yaml).toContain('rtsp://REDACTED:REDACTED@203.0.113.10:554/Streaming/Channels/101');
    expect(yaml).not.toContain('admin');
  });
});

describe('the YAML text', () => {
  it('is exactly what the yaml library writes for the same config, empty or full', () => {
    const members = [nvr('a', 's1', 3), nvr('b', 's2', 2, { publicHost: 'nvr.example.org', vendor: 'dahua' })].map((n) => ({ nvr: n, cameras: publishedCameras(n) }));
    for (const m of [[], members]) {
      const result = renderMediaMtxConfig(node, m, () => creds);
      expect(result.yaml).toBe(stringify(result.config, { lineWidth: 0 }));
    }
  });

  // Plain sources are judged once per NVR origin; each must still be written and checked as it would be alone.
  it.each([
    ['plain credentials and paths', { username: 'admin', password: 'secret' }, ['/Streaming/Channels/101', '/cam?x=1', '#frag'], {}],
    ['an origin that is neither plain nor a valid URL', { username: 'admin', password: "it's" }, ['/a', '/b'], { publicHost: 'bad host' }],
    ['an IPv6 origin', { username: 'admin', password: 'secret' }, ['/a'], { publicHost: '2001:db8::7' }],
    ['paths that are not plain', { username: 'admin', password: 'secret' }, ['/ends:', 'no-slash', '/with space', '', '/a#b: c'], {}],
  ])('writes and checks %s as the yaml library and the validator do', (_, credentials, rtspPaths, options) => {
    const n = nvr('a', 's1', rtspPaths.length, options);
    const cameras = publishedCameras(n).map(({ webrtcFallback: _, ...c }, i) => ({ ...c, rtspPath: rtspPaths[i]! }));
    const full = renderMediaMtxConfig(node, [{ nvr: n, cameras }], () => credentials);
    expect(full.yaml).toBe(stringify(full.config, { lineWidth: 0 }));
    expect(renderShardConfig(node, [{ nvr: n, cameras }], () => credentials, DEFAULT_RENDER_OPTIONS)).toEqual({
      yaml: full.yaml,
      cameraCount: rtspPaths.length,
      problems: validateMediaMtxConfig(full.config),
    });
  });

  it.each(['plain/path', 'rtsp://u:p%40@h:554/a?b=1&c=2', '123', '1.5', 'true', 'No', 'a: b', 'a #b', '-lead', '@x', "it's", 'ends:', 'x y', '0x1F', '.5', 'null', '~', 'a\nb'])(
    'writes %j as the yaml library does',
    (text) => expect(yamlScalar(text)).toBe(stringify(text, { lineWidth: 0 }).slice(0, -1)),
  );
});

describe('validateMediaMtxConfig', () => {
  const base = (paths: MediaMtxConfig['paths'], extra: Record<string, unknown> = {}): MediaMtxConfig => ({ logLevel: 'info', ...extra, paths });
  it.each([
    ['an unknown global key', base({}, { logLevels: 'info' }), 'unknown global key logLevels'],
    ['a path name with a space', base({ 'a b': { source: 'rtsp://h/x', sourceOnDemand: true } }), 'path a b: invalid name'],
    ['a source with a user but no password', base({ a: { source: 'rtsp://user@h/x', sourceOnDemand: true } }), 'path a: source needs both user and password or neither'],
    ['sourceOnDemand on a publisher path', base({ a: { source: 'publisher', sourceOnDemand: true } }), 'path a: sourceOnDemand on a publisher path'],
    ['a pulled path not on demand', base({ a: { source: 'rtsp://h/x' } }), 'path a: a pulled path must be sourceOnDemand'],
    ['an unknown path key', base({ a: { source: 'rtsp://h/x', sourceOnDemand: true, sourceOnDemandd: true } }), 'path a: unknown key sourceOnDemandd'],
    ['a bad duration', base({ a: { source: 'rtsp://h/x', sourceOnDemand: true, sourceOnDemandCloseAfter: '10 seconds' } }), 'path a: sourceOnDemandCloseAfter: invalid duration 10 seconds'],
    ['an http source', base({ a: { source: 'http://h/x', sourceOnDemand: true } }), 'path a: source must be rtsp or rtsps'],
  ])('refuses %s', (_, config, error) => {
    expect(validateMediaMtxConfig(config)).toEqual([error]);
  });

  // The authority is parsed once per NVR; each source must still be judged as the URL parser judges it whole.
  it.each([
    ['rtsp://a /x', ['invalid source URL']],
    ['rtsp://a ', []],
    ['rtsp://h:99999/x', ['invalid source URL']],
    ['rtsp://u:1/x@h/p', []],
    ['rtsp://user@h/x?y', ['source needs both user and password or neither']],
    ['rtsps://u:p@[::1]:8554/a b#c', []],
    ['rtsp://u:p@h?x', []],
    ['http://u:p@h/x', ['source must be rtsp or rtsps']],
  ])('judges the source %j as the URL parser does', (source, errors) => {
    const reference = (() => {
      try {
        const url = new URL(source);
        return [
          ...(url.protocol !== 'rtsp:' && url.protocol !== 'rtsps:' ? ['source must be rtsp or rtsps'] : []),
          ...((url.username === '') !== (url.password === '') ? ['source needs both user and password or neither'] : []),
        ];
      } catch {
        return ['invalid source URL'];
      }
    })();
    expect(reference).toEqual(errors);
    // A second path behind the same authority, so that the first one's verdict is the one reused.
    const sibling = source.replace(/[/?][^/?]*$/, '/other');
    const config = base({ a: { source, sourceOnDemand: true }, b: { source: sibling, sourceOnDemand: true } });
    expect(validateMediaMtxConfig(config).filter((e) => e.startsWith('path a: ')).map((e) => e.slice('path a: '.length))).toEqual(errors);
  });
});

describe('sealMediaMtxConfig', () => {
  const key = 'k'.repeat(32);
  it('seals deterministically, hides the credentials and opens back to the same text', () => {
    const { yaml } = renderMediaMtxConfig(node, [{ nvr: nvr('a', 's1', 1), cameras: publishedCameras(nvr('a', 's1', 1)) }], () => creds);
    const sealed = sealMediaMtxConfig(yaml, key);
    expect(sealMediaMtxConfig(yaml, key)).toBe(sealed);
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('p@ss');
    expect(sealed).not.toContain('admin');
    expect(openMediaMtxConfig(sealed, key)).toBe(yaml);
    expect(() => openMediaMtxConfig(sealed, 'x'.repeat(32))).toThrow('cannot open');
  });
});

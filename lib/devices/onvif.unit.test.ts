import { camerasOf, streamPathOf } from './onvif.js';

const profile = (token: string, source: string, encoding: string, width: number, height: number) => ({
  $: { token, fixed: true },
  name: `${token}-name`,
  videoSourceConfiguration: { $: { token: `vsc-${source}` }, name: `Camera ${source}`, sourceToken: source },
  videoEncoderConfiguration: { $: { token: `vec-${token}` }, encoding, resolution: { width, height } },
});

describe('cameras from ONVIF profiles', () => {
  test('groups profiles by video source; the largest is main, the next is sub; URIs lose host and credentials', () => {
    const profiles = [
      profile('sub1', 'src1', 'H264', 640, 360),
      profile('main1', 'src1', 'H265', 2560, 1440),
      profile('main2', 'src2', 'H264', 1920, 1080),
      { $: { token: 'audio' }, name: 'audio only' },
    ];
    const uris = [
      { profileToken: 'main1', uri: 'rtsp://admin:secret@192.168.1.64:554/Streaming/Channels/101?transportmode=unicast' },
      { profileToken: 'sub1', uri: 'rtsp://192.168.1.64/Streaming/Channels/102' },
      { profileToken: 'main2', uri: 'http://192.168.1.64/not-rtsp' },
    ];
    expect(camerasOf(profiles, uris)).toEqual([
      {
        id: 'src1',
        name: 'Camera src1',
        main: { profileToken: 'main1', profileName: 'main1-name', path: '/Streaming/Channels/101?transportmode=unicast', rtspPort: 554, codec: 'H265', width: 2560, height: 1440 },
        sub: { profileToken: 'sub1', profileName: 'sub1-name', path: '/Streaming/Channels/102', codec: 'H264', width: 640, height: 360 },
      },
      { id: 'src2', name: 'Camera src2', main: { profileToken: 'main2', profileName: 'main2-name', codec: 'H264', width: 1920, height: 1080 } },
    ]);
  });
  test('stream paths never carry userinfo', () => {
    expect(streamPathOf('rtsp://u:p@10.0.0.1:8554/a/b')).toEqual({ path: '/a/b', port: 8554 });
    expect(streamPathOf('not a url')).toBeUndefined();
  });
});

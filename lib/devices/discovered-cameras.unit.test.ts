import { discoveredCamerasOf } from './discovered-cameras.js';

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

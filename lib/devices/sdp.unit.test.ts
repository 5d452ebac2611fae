import { h264Dimensions, h265Dimensions, videoStreamsOf } from './sdp.js';

const b64 = (text: string) => Buffer.from(text, 'base64');

// Sequence parameter sets produced by ffmpeg (libx264, libx265) for the given sizes.
const H264_640x360 = 'Z2QAFqzZQKAv+XARAAADAAEAAAMACg8WLZY=';
const H264_1920x1080 = 'Z2QAKKzZQHgCJ+XARAAAAwAEAAADACg8YMZY';
const H264_BASELINE_704x576 = 'Z0LAFtkAsBJsBEAAAAMAQAAAAwKDxYuS';
const H265_640x360 = 'QgEBAWAAAAMAkAAAAwAAAwA/oAUCAWlllZpJMrwFoCAAAAMAIAAAAwCh';
const H265_2560x1440 = 'QgEBAWAAAAMAkAAAAwAAAwCWoAFAIAWhZZWaSTK8BaAgAAADACAAAAMAoQ==';

describe('resolution from a sequence parameter set', () => {
  test('H.264 high profile, cropped from whole macroblocks', () => {
    expect(h264Dimensions(b64(H264_640x360))).toEqual({ width: 640, height: 360 });
    expect(h264Dimensions(b64(H264_1920x1080))).toEqual({ width: 1920, height: 1080 });
  });
  test('H.264 baseline profile', () => {
    expect(h264Dimensions(b64(H264_BASELINE_704x576))).toEqual({ width: 704, height: 576 });
  });
  test('H.265 with a conformance window', () => {
    expect(h265Dimensions(b64(H265_640x360))).toEqual({ width: 640, height: 360 });
    expect(h265Dimensions(b64(H265_2560x1440))).toEqual({ width: 2560, height: 1440 });
  });
  test('a truncated SPS throws instead of inventing a size', () => {
    expect(() => h264Dimensions(b64(H264_640x360).subarray(0, 5))).toThrow('SPS ended early');
  });
});

describe('video streams of an SDP', () => {
  test('reads codec and size from sprop parameter sets, and ignores audio', () => {
    const sdp = [
      'v=0',
      'o=- 0 0 IN IP4 127.0.0.1',
      's=Stream',
      't=0 0',
      'm=video 0 RTP/AVP 96',
      'a=control:trackID=0',
      'a=rtpmap:96 H264/90000',
      `a=fmtp:96 packetization-mode=1; sprop-parameter-sets=${H264_1920x1080},aOvjyyLA; profile-level-id=640028`,
      'm=audio 0 RTP/AVP 97',
      'a=rtpmap:97 MPEG4-GENERIC/48000/2',
      'm=video 0 RTP/AVP 98',
      'a=rtpmap:98 H265/90000',
      `a=fmtp:98 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwA/lZgJ; sprop-sps=${H265_640x360}; sprop-pps=RAHBcrRiQA==`,
      '',
    ].join('\r\n');
    expect(videoStreamsOf(sdp)).toEqual([
      { codec: 'H264', payloadType: 96, width: 1920, height: 1080 },
      { codec: 'H265', payloadType: 98, width: 640, height: 360 },
    ]);
  });

  test('falls back to a=framesize and a=x-dimensions, and names codecs without a size', () => {
    const sdp = [
      'v=0',
      'a=x-dimensions:1280,720',
      'm=video 0 RTP/AVP 96',
      'a=rtpmap:96 H265/90000',
      'm=video 0 RTP/AVP 97',
      'a=rtpmap:97 H264/90000',
      'a=framesize:97 704-576',
      'm=video 0 RTP/AVP 26',
      'm=video 0 RTP/AVP 35',
      'a=rtpmap:35 H264/90000',
      'a=fmtp:35 sprop-parameter-sets=AAAA,BBBB',
    ].join('\n');
    expect(videoStreamsOf(sdp)).toEqual([
      { codec: 'H265', payloadType: 96, width: 1280, height: 720 },
      { codec: 'H264', payloadType: 97, width: 704, height: 576 },
      { codec: 'MJPEG', payloadType: 26, width: 1280, height: 720 },
      { codec: 'H264', payloadType: 35, width: 1280, height: 720 },
    ]);
  });
});

// What an RTSP DESCRIBE tells about the video: codec and, where the SDP carries it, resolution. Pure.
import type { RtspStream } from './result.js';

/** Reads bits of an RBSP (a NAL unit with its emulation-prevention bytes removed). */
class BitReader {
  private bit = 0;
  constructor(private readonly bytes: Uint8Array) {}

  u(n: number): number {
    let value = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.bytes[this.bit >> 3];
      if (byte === undefined) throw new Error('SPS ended early');
      value = value * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return value;
  }

  skip(n: number): void {
    this.bit += n;
  }

  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) if (++zeros > 31) throw new Error('bad Exp-Golomb code');
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }
}

function rbsp(nal: Uint8Array, headerBytes: number): Uint8Array {
  const out: number[] = [];
  for (let i = headerBytes; i < nal.length; i++) {
    if (i >= headerBytes + 2 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) continue;
    out.push(nal[i]!);
  }
  return Uint8Array.from(out);
}

export interface Dimensions {
  width: number;
  height: number;
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Width and height from an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1), after cropping. */
export function h264Dimensions(nal: Uint8Array): Dimensions {
  const r = new BitReader(rbsp(nal, 1));
  const profile = r.u(8);
  r.skip(16);
  r.ue();
  let chromaFormat = 1;
  let separatePlanes = 0;
  if (HIGH_PROFILES.has(profile)) {
    chromaFormat = r.ue();
    if (chromaFormat === 3) separatePlanes = r.u(1);
    r.ue();
    r.ue();
    r.skip(1);
    if (r.u(1)) {
      for (let i = 0; i < (chromaFormat === 3 ? 12 : 8); i++) {
        if (!r.u(1)) continue;
        let last = 8;
        let next = 8;
        for (let j = 0; j < (i < 6 ? 16 : 64) && next !== 0; j++) {
          next = (last + r.se() + 256) % 256;
          last = next === 0 ? last : next;
        }
      }
    }
  }
  r.ue();
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.skip(1);
    r.se();
    r.se();
    const cycle = r.ue();
    for (let i = 0; i < cycle; i++) r.se();
  }
  r.ue();
  r.skip(1);
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.u(1);
  if (!frameMbsOnly) r.skip(1);
  r.skip(1);
  let [left, right, top, bottom] = [0, 0, 0, 0];
  if (r.u(1)) [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
  const arrayType = separatePlanes ? 0 : chromaFormat;
  const cropX = arrayType === 0 ? 1 : arrayType === 3 ? 1 : 2;
  const cropY = (arrayType === 1 ? 2 : 1) * (2 - frameMbsOnly);
  return {
    width: widthMbs * 16 - cropX * (left + right),
    height: (2 - frameMbsOnly) * heightMapUnits * 16 - cropY * (top + bottom),
  };
}

/** Width and height from an H.265 sequence parameter set (ITU-T H.265 §7.3.2.2.1), after the conformance window. */
export function h265Dimensions(nal: Uint8Array): Dimensions {
  const r = new BitReader(rbsp(nal, 2));
  r.skip(4);
  const subLayers = r.u(3);
  r.skip(1);
  r.skip(96); // general profile_tier_level
  const present: { profile: number; level: number }[] = [];
  for (let i = 0; i < subLayers; i++) present.push({ profile: r.u(1), level: r.u(1) });
  if (subLayers > 0) r.skip(2 * (8 - subLayers));
  for (const layer of present) {
    if (layer.profile) r.skip(88);
    if (layer.level) r.skip(8);
  }
  r.ue();
  const chromaFormat = r.ue();
  const separatePlanes = chromaFormat === 3 ? r.u(1) : 0;
  const width = r.ue();
  const height = r.ue();
  let [left, right, top, bottom] = [0, 0, 0, 0];
  if (r.u(1)) [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
  const arrayType = separatePlanes ? 0 : chromaFormat;
  const subWidth = arrayType === 1 || arrayType === 2 ? 2 : 1;
  const subHeight = arrayType === 1 ? 2 : 1;
  return { width: width - subWidth * (left + right), height: height - subHeight * (top + bottom) };
}

function dimensionsFromSps(codec: string, fmtp: Map<string, string>): Dimensions | undefined {
  const sps = codec === 'H264' ? fmtp.get('sprop-parameter-sets')?.split(',')[0] : codec === 'H265' ? fmtp.get('sprop-sps') : undefined;
  if (!sps) return undefined;
  try {
    const nal = Buffer.from(sps, 'base64');
    return codec === 'H264' ? h264Dimensions(nal) : h265Dimensions(nal);
  } catch {
    return undefined;
  }
}

function parseFmtp(value: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return params;
}

const CODEC_NAMES: Record<string, string> = { H264: 'H264', H265: 'H265', HEVC: 'H265', JPEG: 'MJPEG', MP4V: 'MPEG4' };

interface MediaSection {
  kind: string;
  payloadTypes: number[];
  attributes: string[];
}

function sections(sdp: string): { session: string[]; media: MediaSection[] } {
  const session: string[] = [];
  const media: MediaSection[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      const [kind = '', , , ...formats] = line.slice(2).trim().split(/\s+/);
      media.push({ kind, payloadTypes: formats.map(Number).filter(Number.isInteger), attributes: [] });
    } else if (line.startsWith('a=')) {
      (media.at(-1)?.attributes ?? session).push(line.slice(2).trim());
    }
  }
  return { session, media };
}

function attribute(attributes: string[], name: string, payloadType?: number): string | undefined {
  const prefix = payloadType === undefined ? `${name}:` : `${name}:${payloadType} `;
  return attributes.find((a) => a.startsWith(prefix))?.slice(prefix.length).trim();
}

function declaredDimensions(attributes: string[], payloadType: number): Dimensions | undefined {
  const framesize = attribute(attributes, 'framesize', payloadType)?.match(/^(\d+)-(\d+)$/);
  if (framesize) return { width: Number(framesize[1]), height: Number(framesize[2]) };
  const xdim = attribute(attributes, 'x-dimensions')?.match(/^(\d+)\s*,\s*(\d+)$/);
  if (xdim) return { width: Number(xdim[1]), height: Number(xdim[2]) };
  return undefined;
}

/** The video streams an SDP describes: codec per payload type, and resolution from the SPS or the size attributes. */
export function videoStreamsOf(sdp: string): RtspStream[] {
  const { session, media } = sections(sdp);
  const streams: RtspStream[] = [];
  for (const section of media.filter((m) => m.kind === 'video')) {
    for (const payloadType of section.payloadTypes) {
      const encoding = attribute(section.attributes, 'rtpmap', payloadType)?.split('/')[0]?.toUpperCase();
      // Static payload type 26 is JPEG (RFC 3551) and needs no rtpmap.
      const codec = encoding ? (CODEC_NAMES[encoding] ?? encoding) : payloadType === 26 ? 'MJPEG' : 'unknown';
      const fmtp = parseFmtp(attribute(section.attributes, 'fmtp', payloadType) ?? '');
      const size =
        dimensionsFromSps(codec, fmtp) ?? declaredDimensions(section.attributes, payloadType) ?? declaredDimensions(session, payloadType);
      streams.push({ codec, payloadType, ...(size ?? {}) });
    }
  }
  return streams;
}

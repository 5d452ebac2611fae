// Field types of tunnel mode: WireGuard public keys and the private LAN addresses a school's gateway exposes.
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { withRules } from './rules.js';

/** The only ranges a school LAN address may come from (RFC 1918). */
export const LAN_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

const lan = new BlockList();
for (const c of LAN_CIDRS) lan.addSubnet(c.split('/')[0]!, Number(c.split('/')[1]), 'ipv4');

const isIpv4 = (v: string) => isIP(v) === 4 && v.split('.').every((o) => String(Number(o)) === o);

export const isLanAddress = (v: string): boolean => isIpv4(v) && lan.check(v, 'ipv4');

/** `a.b.c.d/n` with n of 16 or more, inside the LAN ranges; the host bits may be set, the prefix counts. */
export function parseLanCidr(v: string): { network: number; bits: number } | undefined {
  const [addr, bits, extra] = v.split('/');
  if (extra !== undefined || bits === undefined || !/^\d{1,2}$/.test(bits) || !isIpv4(addr!)) return undefined;
  const n = Number(bits);
  if (n < 16 || n > 32) return undefined;
  const network = (ipv4ToInt(addr!) & maskOf(n)) >>> 0;
  if (!isLanAddress(intToIpv4(network)) || !isLanAddress(intToIpv4((network | ~maskOf(n)) >>> 0))) return undefined;
  return { network, bits: n };
}

export const maskOf = (bits: number): number => (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0);
export const ipv4ToInt = (v: string): number => v.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
export const intToIpv4 = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** Whether an address sits inside one of the exposure entries (addresses or CIDRs). */
export function exposes(entries: readonly string[], address: string): boolean {
  if (!isIpv4(address)) return false;
  const a = ipv4ToInt(address);
  return entries.some((e) => {
    if (!e.includes('/')) return e === address;
    const c = parseLanCidr(e);
    return c !== undefined && ((a & maskOf(c.bits)) >>> 0) === c.network;
  });
}

const CEL_LAN = `[${LAN_CIDRS.map((c) => `'${c}'`).join(', ')}]`;
const CEL_LAN_IP = (x: string) => `isIP(${x}) && ip(${x}).family() == 4 && ${CEL_LAN}.exists(c, cidr(c).containsIP(ip(${x})))`;

export const lanAddress = (description: string) =>
  withRules(z.string().min(7).max(15).describe(description), [
    { cel: CEL_LAN_IP('self'), message: 'must be an IPv4 address in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16', check: isLanAddress },
  ]);

// A CIDR of /16 or longer lies inside a LAN range (/8, /12, /16) exactly when its address does. containsCIDR is
// avoided: Kubernetes 1.31 compares the unmasked address there and refuses 192.168.10.0/28 inside 192.168.0.0/16.
export const lanExposure = (description: string) =>
  withRules(z.string().min(7).max(18).describe(description), [
    {
      cel: `isCIDR(self) ? (cidr(self).ip().family() == 4 && cidr(self).prefixLength() >= 16 && ${CEL_LAN}.exists(c, cidr(c).containsIP(cidr(self).ip()))) : (${CEL_LAN_IP('self')})`,
      message: 'must be an IPv4 address or a CIDR of /16 or longer inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16',
      check: (v) => (v.includes('/') ? parseLanCidr(v) !== undefined : isLanAddress(v)),
    },
  ]);

/** A Curve25519 public key as `wg` prints it: 32 bytes in base64, so the last character before = has 4 zero bits. */
export const WIREGUARD_KEY = '^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$';

export const wireguardPublicKey = (description: string) => z.string().length(44).regex(new RegExp(WIREGUARD_KEY)).describe(description);

/** A tunnel range of a media node: an IPv4 CIDR from /16 to /28. */
export const tunnelRange = (description: string) =>
  withRules(z.string().min(9).max(18).describe(description), [
    {
      cel: "isCIDR(self) && cidr(self).ip().family() == 4 && cidr(self).prefixLength() >= 16 && cidr(self).prefixLength() <= 28",
      message: 'must be an IPv4 CIDR from /16 to /28',
      check: (v) => {
        const [addr, bits, extra] = v.split('/');
        return extra === undefined && isIpv4(addr ?? '') && /^\d{2}$/.test(bits ?? '') && Number(bits) >= 16 && Number(bits) <= 28;
      },
    },
  ]);

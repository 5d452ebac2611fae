// The only way a probe reaches the network: resolve once, check every address, connect to the checked address.
import { promises as dns } from 'node:dns';
import { connect, isIP, type Socket } from 'node:net';
import { refusalOf } from './address-guard.js';
import { ProbeFailure } from './result.js';

/** Resolves a host name to addresses; IP literals never reach it. */
export type Resolve = (host: string) => Promise<string[]>;

/** Opens a TCP connection to an already checked address; tests pass a recording one. */
export type Dial = (address: string, port: number) => Socket;

export const dialTcp: Dial = (address, port) => connect({ host: address, port });

/**
 * Sockets that are destroyed with a `TooLarge` failure once they have received more than `maxBytes`: whatever a
 * protocol library buffers, no device's answer can grow the sidecar past this per connection.
 */
export function cappedDial(dial: Dial, maxBytes: number): Dial {
  return (address, port) => {
    const socket = dial(address, port);
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes && !socket.destroyed) {
        socket.destroy(new ProbeFailure('TooLarge', `the device sent more than ${maxBytes} bytes on one connection; the probe stopped reading`));
      }
    });
    return socket;
  };
}

/** The system resolver, or the given DNS servers (`ip` or `ip:port`) when set. */
export function systemResolver(servers?: string[]): Resolve {
  if (servers && servers.length > 0) {
    const resolver = new dns.Resolver({ timeout: 2000, tries: 2 });
    resolver.setServers(servers);
    return async (host) => {
      const settled = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
      return settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
    };
  }
  return async (host) => (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

const stripBrackets = (host: string): string => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/**
 * The address to connect to for `host`: a literal is taken as is, a name is resolved once, and every
 * address it resolves to must pass the guard and `refused` (which says what the address is) — one refused
 * answer refuses the whole name.
 */
export async function checkedAddress(host: string, resolve: Resolve, refused: (address: string) => string | undefined = () => undefined): Promise<string> {
  const bare = stripBrackets(host);
  let addresses: string[];
  if (isIP(bare)) {
    addresses = [bare];
  } else {
    try {
      addresses = await resolve(bare);
    } catch (error) {
      throw new ProbeFailure('DnsFailed', `${bare} did not resolve: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (addresses.length === 0) throw new ProbeFailure('DnsFailed', `${bare} has no A or AAAA record`);
  }
  for (const address of addresses) {
    const guarded = refusalOf(address);
    const refusal = guarded ? `a ${guarded} address` : refused(address);
    if (!refusal) continue;
    const subject = address === bare ? bare : `${bare} resolves to ${address}, which`;
    throw new ProbeFailure('NotAllowlisted', `${subject} is ${refusal}`);
  }
  return addresses[0]!;
}

export function reasonOfSocketError(error: NodeJS.ErrnoException): ProbeFailure {
  switch (error.code) {
    case 'ECONNREFUSED':
      return new ProbeFailure('Refused', 'connection refused');
    case 'ETIMEDOUT':
      return new ProbeFailure('Timeout', 'connection timed out');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return new ProbeFailure('Unreachable', `no route to host (${error.code})`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new ProbeFailure('ProtocolError', `connection reset by the device (${error.code})`);
    default:
      return new ProbeFailure('Unreachable', `connect failed (${error.code ?? error.message})`);
  }
}

/** Connects to a checked address within `timeoutMs`. */
export function connectWithin(dial: Dial, address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = dial(address, port);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ProbeFailure('Timeout', `no answer from ${address}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(reasonOfSocketError(error));
    });
  });
}

// Devices of a school LAN as the scan meets them, from what the vendors publish:
// - Dahua: the web client's JSON-RPC login (`POST /RPC2_Login`, method global.login) answers a first call with a
//   challenge whose realm is "Login to <serial>"; the private SDK protocol listens on TCP 37777.
// - ZKTeco terminals: the embedded web server names itself "ZK Web Server"; the SDK protocol listens on TCP 4370.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';

export interface Responder {
  stop(): Promise<void>;
}

const listen = (server: Server | TcpServer, host: string, port: number) => new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, host, () => resolve());
});

const close = (server: Server | TcpServer) => new Promise<void>((resolve) => server.close(() => resolve()));

/** A port that accepts connections and says nothing, as the vendors' binary SDK ports do to a stranger. */
async function silentPort(host: string, port: number): Promise<TcpServer> {
  const server = createTcpServer((socket) => socket.on('error', () => undefined));
  await listen(server, host, port);
  return server;
}

export async function startDahuaResponder(options: { host: string; serial: string; httpPort?: number }): Promise<Responder> {
  const http = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/RPC2_Login') {
        const call = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { id?: number; method?: string };
        if (call.method !== 'global.login') return res.writeHead(400).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: { code: 268632079, message: 'Component error: login challenge!' },
            id: call.id ?? 1,
            params: { encryption: 'Default', random: '1695731357', realm: `Login to ${options.serial}` },
            result: false,
            session: 'a3b1c7d9e2f40000',
          }),
        );
        return;
      }
      if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><title>WEB SERVICE</title></head><body></body></html>');
      res.writeHead(404).end();
    });
  });
  await listen(http, options.host, options.httpPort ?? 80);
  const sdk = await silentPort(options.host, 37777);
  return { stop: async () => void (await Promise.all([close(http), close(sdk)])) };
}

export async function startZktecoResponder(options: { host: string; httpPort?: number }): Promise<Responder> {
  const http = createHttpServer((req, res) => {
    const headers = { server: 'ZK Web Server', 'content-type': 'text/html' };
    if (req.url === '/') return res.writeHead(200, headers).end('<html><head><title>Login</title></head><body><form action="/csl/check" method="post"></form></body></html>');
    res.writeHead(404, headers).end();
  });
  await listen(http, options.host, options.httpPort ?? 80);
  const sdk = await silentPort(options.host, 4370);
  return { stop: async () => void (await Promise.all([close(http), close(sdk)])) };
}

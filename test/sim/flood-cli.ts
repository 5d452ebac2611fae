// A device that never stops answering: on every connection it writes an HTTP 200 SOAP answer whose body goes on
// until POSBON_FLOOD_BYTES (default 200 MiB) or until the prober hangs up. Options: POSBON_FLOOD = {host, port, bytes?}.
import { createServer } from 'node:net';

interface FloodOptions {
  host: string;
  port: number;
  bytes?: number;
}

const options = JSON.parse(process.env.POSBON_FLOOD ?? '{}') as FloodOptions;
const total = options.bytes ?? 200 * 1024 * 1024;
const chunk = Buffer.from(`<tt:Padding>${'x'.repeat(64 * 1024 - 27)}</tt:Padding>`);

const server = createServer((socket) => {
  socket.on('error', () => undefined);
  // Read the request (and forget it), then answer regardless of what was asked.
  socket.once('data', () => {
    socket.write(
      'HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml; charset=utf-8\r\nConnection: close\r\n\r\n' +
        '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>',
    );
    let sent = 0;
    const pump = () => {
      while (sent < total && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      if (!socket.destroyed) socket.end('</s:Body></s:Envelope>');
    };
    pump();
  });
  socket.on('close', () => console.log(`FLOOD connection closed after ${socket.bytesWritten} bytes`));
});
server.listen(options.port, options.host, () => console.log('FLOOD READY'));

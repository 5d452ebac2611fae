import { parseArgs } from 'node:util';
import { discover } from '../discovery.js';
import { inventory, type Inventory } from '../inventory.js';
import type { DiscoveredDevice } from '../discovery.js';
import { devicePassword, fail, jsonOption, passwordOption, report, UsageError, type Command } from './command.js';

type Found = DiscoveredDevice & Partial<Inventory> & { error?: string };

function linesOf(found: Found[]): string[] {
  if (found.length === 0) return ['no ONVIF device answered'];
  return found.flatMap((d) => {
    const what = d.device ? [d.device.manufacturer, d.device.model].filter(Boolean).join(' ') : (d.scopes.name?.[0] ?? 'ONVIF device');
    const head = `${d.onvifHost}:${d.onvifPort}  ${what}${d.device?.serialNumber ? `, serial ${d.device.serialNumber}` : ''}`;
    if (d.error) return [head, `  could not read its cameras: ${d.error}`];
    const cameras = (d.cameras ?? []).map((c) => `  ${c.id}  ${c.name ?? ''}  ${c.mainPath ?? ''}${c.codec ? `  ${c.codec}` : ''}${c.width ? ` ${c.width}x${c.height}` : ''}`);
    return [head, ...cameras];
  });
}

export const discoverCommand: Command = {
  name: 'discover',
  summary: 'list ONVIF devices on the LAN by WS-Discovery; with --username, their cameras too',
  usage: 'discover [--target IP]... [--no-multicast] [--timeout-ms N] [--username U [--password-file F]] [--json]',
  async run(args, io) {
    try {
      const { values } = parseArgs({
        args,
        strict: true,
        options: {
          target: { type: 'string', multiple: true },
          'no-multicast': { type: 'boolean' },
          'timeout-ms': { type: 'string' },
          username: { type: 'string' },
          ...passwordOption,
          ...jsonOption,
        },
      });
      const timeoutMs = Number(values['timeout-ms'] ?? 2000);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) throw new UsageError('--timeout-ms: 100 to 60000');
      const devices = await discover({ multicast: !values['no-multicast'], targets: values.target ?? [], timeoutMs });
      const username = values.username;
      const password = username ? await devicePassword(io, values['password-file']) : undefined;
      if (username && !password) throw new UsageError('--username needs the password in POSBON_NVR_PASSWORD or --password-file');
      const found: Found[] = await Promise.all(
        devices.map(async (d) => {
          if (!username || !password) return d;
          try {
            return { ...d, ...(await inventory({ host: d.onvifHost, port: d.onvifPort, username, password })) };
          } catch (error) {
            return { ...d, error: (error as Error).message };
          }
        }),
      );
      return report(io, values.json, found, linesOf);
    } catch (error) {
      return fail(error, io);
    }
  },
};

import { parseArgs } from 'node:util';
import { provisionFaceId, type FaceIdOutcome } from '../faceid/provision.js';
import type { ProvisionRequest } from '../faceid.js';
import { DeviceProblem } from '../submit.js';
import { apiClient, devicePassword, fail, jsonOption, passwordOption, portOf, report, required, UsageError, type Command } from './command.js';

const VENDORS = ['hikvision', 'dahua', 'zkteco'] as const;

const linesOf = (o: FaceIdOutcome): string[] => [
  `terminal ${o.device} of ${o.schoolId}${o.model ? ` (${o.model}${o.serialNumber ? `, serial ${o.serialNumber}` : ''})` : ''} pushes to ${o.pushesTo}${o.rotated ? '; a new token replaced the earlier one, which keeps working for a day' : ''}`,
  ...(o.manualSteps ?? []).map((s) => `  on the terminal: ${s.setting} = ${s.value}`),
  ...(o.firstPushAt ? [`its first push reached the webhook at ${o.firstPushAt}`] : []),
];

export const provisionFaceIdCommand: Command = {
  name: 'provision-faceid',
  summary: 'point a FaceID terminal at the webhook (Hikvision ISAPI, Dahua CGI; ZKTeco: the values to enter on it), then wait for its first push',
  usage:
    'provision-faceid --school S --device NAME [--faceid-vendor hikvision|dahua|zkteco] --lan-host IP [--lan-port 80] [--direction in|out] --username U [--password-file F] [--wait-s N] [--json]',
  async run(args, io) {
    try {
      const { values } = parseArgs({
        args,
        strict: true,
        options: {
          school: { type: 'string' },
          device: { type: 'string' },
          'faceid-vendor': { type: 'string' },
          'lan-host': { type: 'string' },
          'lan-port': { type: 'string' },
          direction: { type: 'string' },
          username: { type: 'string' },
          'wait-s': { type: 'string' },
          ...passwordOption,
          ...jsonOption,
        },
      });
      const direction = values.direction ?? 'in';
      if (direction !== 'in' && direction !== 'out') throw new UsageError('--direction: in or out');
      const vendor = values['faceid-vendor'] ?? 'hikvision';
      if (!(VENDORS as readonly string[]).includes(vendor)) throw new UsageError(`--faceid-vendor: ${VENDORS.join(', ')}`);
      // ZKTeco is set on the terminal's own menu: no LAN login.
      const manual = vendor === 'zkteco';
      const username = manual ? '' : required(values.username, 'username');
      const password = manual ? '' : await devicePassword(io, values['password-file']);
      if (!manual && !password) throw new UsageError('the terminal password: set POSBON_NVR_PASSWORD or --password-file');
      const waitS = values['wait-s'] === undefined ? undefined : Number(values['wait-s']);
      if (waitS !== undefined && !(Number.isInteger(waitS) && waitS >= 1 && waitS <= 3600)) throw new UsageError('--wait-s: 1 to 3600 seconds');
      const request: ProvisionRequest & { vendor: (typeof VENDORS)[number] } = {
        vendor: vendor as (typeof VENDORS)[number],
        schoolId: required(values.school, 'school'),
        device: required(values.device, 'device'),
        direction,
        lan: { host: manual ? (values['lan-host'] ?? '') : required(values['lan-host'], 'lan-host'), port: portOf(values['lan-port'], 'lan-port', 80) },
        credentials: { username, password: password ?? '' },
      };
      const outcome = await provisionFaceId(
        await apiClient(io),
        request,
        waitS === undefined ? undefined : { timeoutMs: waitS * 1000, onWaiting: () => io.err('posbon-agent: waiting for the terminal\'s first push to reach the webhook…') },
      );
      if (outcome.firstPushAt === null) {
        throw new DeviceProblem(`no push from ${outcome.device} reached the webhook within ${waitS} s: check the terminal's settings and that it reaches ${outcome.pushesTo}`);
      }
      return report(io, values.json, outcome, linesOf);
    } catch (error) {
      return fail(error, io);
    }
  },
};

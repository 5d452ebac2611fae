import { parseArgs } from 'node:util';
import { provisionHikvision, type ProvisionOutcome, type ProvisionRequest } from '../faceid.js';
import { apiClient, devicePassword, fail, jsonOption, passwordOption, portOf, report, required, UsageError, type Command } from './command.js';

const linesOf = (o: ProvisionOutcome): string[] => [
  `terminal ${o.device} of ${o.schoolId}${o.model ? ` (${o.model}${o.serialNumber ? `, serial ${o.serialNumber}` : ''})` : ''} pushes to ${o.pushesTo}${o.rotated ? '; a new token replaced the earlier one, which keeps working for a day' : ''}`,
];

export const provisionFaceIdCommand: Command = {
  name: 'provision-faceid',
  summary: 'point a Hikvision FaceID terminal at the webhook (ISAPI), with a token of its own',
  usage: 'provision-faceid --school S --device NAME --lan-host IP [--lan-port 80] [--direction in|out] --username U [--password-file F] [--json]',
  async run(args, io) {
    try {
      const { values } = parseArgs({
        args,
        strict: true,
        options: {
          school: { type: 'string' },
          device: { type: 'string' },
          'lan-host': { type: 'string' },
          'lan-port': { type: 'string' },
          direction: { type: 'string' },
          username: { type: 'string' },
          ...passwordOption,
          ...jsonOption,
        },
      });
      const direction = values.direction ?? 'in';
      if (direction !== 'in' && direction !== 'out') throw new UsageError('--direction: in or out');
      const username = required(values.username, 'username');
      const password = await devicePassword(io, values['password-file']);
      if (!password) throw new UsageError('the terminal password: set POSBON_NVR_PASSWORD or --password-file');
      const request: ProvisionRequest = {
        schoolId: required(values.school, 'school'),
        device: required(values.device, 'device'),
        direction,
        lan: { host: required(values['lan-host'], 'lan-host'), port: portOf(values['lan-port'], 'lan-port', 80) },
        credentials: { username, password },
      };
      const outcome = await provisionHikvision(await apiClient(io), request);
      return report(io, values.json, outcome, linesOf);
    } catch (error) {
      return fail(error, io);
    }
  },
};

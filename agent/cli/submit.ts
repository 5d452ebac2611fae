import { parseArgs } from 'node:util';
import { submitNvr, type SubmitOutcome, type SubmitRequest } from '../submit.js';
import { apiClient, devicePassword, fail, jsonOption, passwordOption, portOf, report, required, UsageError, type Command } from './command.js';

const VENDORS = ['hikvision', 'dahua', 'uniview', 'onvif'] as const;

const linesOf = (o: SubmitOutcome): string[] => [
  `media node ${o.mediaNode} plays the NVR; ${o.proposal.created ? 'proposed' : 'updated the proposal'} as pull request #${o.proposal.number}: ${o.proposal.url}`,
  ...o.cameras.map((c) => `  ${c.id}  ${c.name}  ${c.rtspPath ?? ''}`),
];

export const submitCommand: Command = {
  name: 'submit',
  summary: 'test the router mapping from the school\'s media node, then propose the NVR with its cameras',
  usage:
    'submit --school S --name N --lan-host IP [--lan-onvif-port 80] --public-host H [--public-rtsp-port 554] [--public-onvif-port P] [--vendor V] --username U [--password-file F] [--json]',
  async run(args, io) {
    try {
      const { values } = parseArgs({
        args,
        strict: true,
        options: {
          school: { type: 'string' },
          name: { type: 'string' },
          'lan-host': { type: 'string' },
          'lan-onvif-port': { type: 'string' },
          'public-host': { type: 'string' },
          'public-rtsp-port': { type: 'string' },
          'public-onvif-port': { type: 'string' },
          vendor: { type: 'string' },
          username: { type: 'string' },
          ...passwordOption,
          ...jsonOption,
        },
      });
      const vendor = values.vendor;
      if (vendor !== undefined && !(VENDORS as readonly string[]).includes(vendor)) throw new UsageError(`--vendor: one of ${VENDORS.join(', ')}`);
      const username = required(values.username, 'username');
      const password = await devicePassword(io, values['password-file']);
      if (!password) throw new UsageError('the device password: set POSBON_NVR_PASSWORD or --password-file');
      const publicOnvif = portOf(values['public-onvif-port'], 'public-onvif-port');
      const request: SubmitRequest = {
        schoolId: required(values.school, 'school'),
        name: required(values.name, 'name'),
        lan: { host: required(values['lan-host'], 'lan-host'), onvifPort: portOf(values['lan-onvif-port'], 'lan-onvif-port', 80) },
        mapping: {
          publicHost: required(values['public-host'], 'public-host'),
          rtspPort: portOf(values['public-rtsp-port'], 'public-rtsp-port', 554),
          ...(publicOnvif !== undefined ? { onvifPort: publicOnvif } : {}),
        },
        credentials: { username, password },
        ...(vendor ? { vendor: vendor as (typeof VENDORS)[number] } : {}),
      };
      const outcome = await submitNvr(await apiClient(io), request);
      return report(io, values.json, outcome, linesOf);
    } catch (error) {
      return fail(error, io);
    }
  },
};

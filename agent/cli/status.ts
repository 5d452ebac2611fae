// `status`: which school this machine's agent is paired with, and what the API says of it (its media node and the
// egress addresses the router must admit); proves the stored credentials work, renewing them when due.
import { existsSync } from 'node:fs';
import { UsageError } from '../../lib/cli/command.js';
import { AgentSession, credentialsPath } from '../credentials.js';
import { fail, report, type Command } from './command.js';
import { withoutJson } from './pair.js';
import { PosbonClient, type SchoolAnswer } from '../api-client.js';

export class NotPaired extends UsageError {}

export async function statusCommand(): Promise<{ apiUrl: string; schoolId: string; mediaNode: string | null; allowlistIPs: string[] }> {
  const path = credentialsPath();
  if (!existsSync(path)) throw new NotPaired(`not paired: no credentials at ${path}; run \`pair\` with the code a school admin creates`);
  const session = await AgentSession.open(path);
  const school: SchoolAnswer = await new PosbonClient(session.apiUrl, session.accessToken).school(session.schoolId);
  return { apiUrl: session.apiUrl, schoolId: school.id, mediaNode: school.mediaNode, allowlistIPs: school.allowlistIPs };
}

export const statusCli: Command = {
  name: 'status',
  summary: 'the paired school, its media node and the egress addresses its router must admit',
  usage: 'status [--json]',
  async run(args, io) {
    try {
      const { json, rest } = withoutJson(args);
      if (rest.length > 0) throw new UsageError(`status takes no arguments, got ${rest.join(' ')}`);
      const status = await statusCommand();
      return report(io, json, status, (s) => [
        `paired with ${s.schoolId} at ${s.apiUrl}`,
        `media node ${s.mediaNode ?? 'none yet'}; the router admits RTSP/ONVIF from ${s.allowlistIPs.join(', ') || 'no address yet'}`,
      ]);
    } catch (error) {
      return fail(error, io);
    }
  },
};

// `status`: which school this machine's agent is paired with, and what the API says of it (its media node and the
// egress addresses the router must admit); proves the stored credentials work, renewing them when due.
import { existsSync } from 'node:fs';
import { AgentSession, credentialsPath } from '../credentials.js';
import { PosbonClient, type SchoolAnswer } from '../posbon.js';

export class NotPaired extends Error {}

export async function statusCommand(): Promise<{ apiUrl: string; schoolId: string; mediaNode: string | null; allowlistIPs: string[] }> {
  const path = credentialsPath();
  if (!existsSync(path)) throw new NotPaired(`not paired: no credentials at ${path}; run \`pair\` with the code a school admin creates`);
  const session = await AgentSession.open(path);
  const school: SchoolAnswer = await new PosbonClient(session.apiUrl, session.accessToken).school(session.schoolId);
  return { apiUrl: session.apiUrl, schoolId: school.id, mediaNode: school.mediaNode, allowlistIPs: school.allowlistIPs };
}

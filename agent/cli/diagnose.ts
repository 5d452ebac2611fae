// `diagnose --school S [--out FILE] [--upload]`: the redacted diagnostic report, printed, written to a file to send
// along, and uploaded for the school's admins when asked.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { collectDiagnostics } from '../diagnose/report.js';
import { existsSync } from 'node:fs';
import type { PosbonClient } from '../api-client.js';
import { AgentSession, credentialsPath } from '../credentials.js';
import { apiClient, fail, report, type Command } from './command.js';

export async function diagnoseCommand(args: string[], client: () => Promise<PosbonClient>, pairedSchool: () => Promise<string | undefined>): Promise<unknown> {
  const { values } = parseArgs({ args, strict: true, options: { school: { type: 'string' }, out: { type: 'string' }, upload: { type: 'boolean' }, json: { type: 'boolean' } } });
  const api = await client();
  const schoolId = values.school ?? (await pairedSchool());
  if (!schoolId) throw new Error('--school is required (a paired agent knows its school)');
  const report = await collectDiagnostics(api, schoolId);
  if (values.out) await writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600 });
  const uploaded = values.upload ? await api.uploadDiagnostics(schoolId, report) : undefined;
  return { report, ...(uploaded ? { uploaded: { id: uploaded.id, createdAt: uploaded.createdAt } } : {}) };
}

export const diagnoseCli: Command = {
  name: 'diagnose',
  summary: 'a redacted report of the LAN, public address, clock, media node, NVRs and cameras; written, shown, uploaded',
  usage: 'diagnose [--school S] [--out FILE] [--upload] [--json]',
  async run(args, io) {
    try {
      const json = args.includes('--json');
      const pairedSchool = async () => (existsSync(credentialsPath()) ? (await AgentSession.open(credentialsPath())).schoolId : undefined);
      const outcome = (await diagnoseCommand(args, () => apiClient(io), pairedSchool)) as { report: unknown; uploaded?: { id: string } };
      return report(io, json, outcome, (o) => [JSON.stringify(o.report, null, 2), ...(o.uploaded ? [`uploaded for the school's admins as ${o.uploaded.id}`] : [])]);
    } catch (error) {
      return fail(error, io);
    }
  },
};

// `diagnose --school S [--out FILE] [--upload]`: the redacted diagnostic report, printed, written to a file to send
// along, and uploaded for the school's admins when asked.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { collectDiagnostics } from '../diagnose/report.js';
import type { PosbonClient } from '../posbon.js';

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

// Diagnostic reports a school's agent uploads for that school's admins: redacted once more here (the agent already
// redacts), stored with the address the API saw the upload from.
import type { DataSource } from 'typeorm';
import { redact } from '../../../lib/log/logger.js';

export interface DiagnosticReportView {
  id: string;
  schoolId: string;
  uploadedBy: string;
  clientAddress: string;
  createdAt: string;
  report: Record<string, unknown>;
}

interface Row {
  id: string;
  school_id: string;
  uploaded_by: string;
  client_address: string;
  created_at: Date;
  report: Record<string, unknown>;
}

const view = (r: Row): DiagnosticReportView => ({
  id: r.id,
  schoolId: r.school_id,
  uploadedBy: r.uploaded_by,
  clientAddress: r.client_address,
  createdAt: r.created_at.toISOString(),
  report: r.report,
});

export class DiagnosticReports {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly now: () => Date,
  ) {}

  static create(deps: { dataSource: DataSource; now?: () => Date }): DiagnosticReports {
    return new DiagnosticReports(deps.dataSource, deps.now ?? (() => new Date()));
  }

  async upload(schoolId: string, uploadedBy: string, clientAddress: string, report: Record<string, unknown>): Promise<DiagnosticReportView> {
    const [row] = (await this.dataSource.query(
      `INSERT INTO agent_diagnostic_report (school_id, uploaded_by, client_address, created_at, report) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [schoolId, uploadedBy, clientAddress, this.now(), JSON.stringify(redact(report))],
    )) as Row[];
    return view(row!);
  }

  async list(schoolId: string): Promise<DiagnosticReportView[]> {
    const rows = (await this.dataSource.query('SELECT * FROM agent_diagnostic_report WHERE school_id = $1 ORDER BY created_at DESC LIMIT 50', [schoolId])) as Row[];
    return rows.map(view);
  }
}

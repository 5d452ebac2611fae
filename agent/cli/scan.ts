// `scan [--subnet CIDR]... [--concurrency N] [--connect-timeout-ms N] [--time-limit-s N] [--no-discovery] [--json]`:
// finds cameras, NVRs and FaceID terminals on the machine's own LAN. Only private on-link subnets of /22 or
// smaller; refused (exit 2) for anything else, and off (exit 3) when the machine is not on a LAN.
import { parseArgs } from 'node:util';
import { UsageError } from '../../lib/cli/command.js';
import { DeviceProblem } from '../submit.js';
import { fail, type Command } from './command.js';
import { hasDefaultGateway, localInterfaces } from '../scan/interfaces.js';
import { scanLan, type ScanProgress, type ScanReport } from '../scan/scan.js';
import { planScan } from '../scan/subnets.js';

export class ScanUsageError extends UsageError {}
/** Exit 3, like any problem to fix at the school: the machine is not on a LAN the scan may cover. */
export class NotOnLan extends DeviceProblem {}

const bounded = (value: string | undefined, flag: string, fallback: number, min: number, max: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ScanUsageError(`--${flag}: ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
};

/** A one-line bar on stderr, redrawn in place; nothing when stderr is not a terminal. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): (p: ScanProgress) => void {
  return (p) => {
    if (!stream.isTTY) return;
    const width = 30;
    const filled = Math.round((p.done / Math.max(1, p.total)) * width);
    stream.write(`\r${p.phase.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}${p.done === p.total ? '\n' : ''}`);
  };
}

export async function scanCommand(args: string[]): Promise<{ report: ScanReport; json: boolean }> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      subnet: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      'connect-timeout-ms': { type: 'string' },
      'time-limit-s': { type: 'string' },
      'no-discovery': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  let plan;
  try {
    plan = planScan(localInterfaces(), await hasDefaultGateway(), values.subnet ?? []);
  } catch (error) {
    throw new ScanUsageError(`--subnet: ${(error as Error).message}`);
  }
  if (!plan.lan) throw new NotOnLan(`scan is off: ${plan.reason}`);
  const [refused] = plan.refused;
  if (refused) throw new ScanUsageError(`refused ${refused.cidr}: ${refused.reason}`);
  if (plan.subnets.length === 0) throw new NotOnLan('scan is off: no on-link private subnet of /22 or smaller; name one with --subnet');
  const report = await scanLan({
    subnets: plan.subnets,
    concurrency: bounded(values.concurrency, 'concurrency', 256, 1, 1024),
    connectTimeoutMs: bounded(values['connect-timeout-ms'], 'connect-timeout-ms', 1500, 100, 10_000),
    totalTimeMs: bounded(values['time-limit-s'], 'time-limit-s', 120, 5, 900) * 1000,
    discovery: !values['no-discovery'],
    onProgress: progressBar(),
  });
  return { report, json: values.json ?? false };
}

/** The human form: one line per device. */
export function renderScan(report: ScanReport): string {
  const lines = [`scanned ${report.hostsScanned} hosts of ${report.subnets.join(', ')}${report.complete ? '' : ' (stopped at the time limit)'}`];
  for (const d of report.devices) {
    const ports = [d.rtspPort && `rtsp ${d.rtspPort}`, d.httpPort && `http ${d.httpPort}`, d.onvifPort && `onvif ${d.onvifPort}`].filter(Boolean).join(', ');
    lines.push(`${d.ip.padEnd(15)} ${d.vendor.padEnd(9)} ${d.kind.padEnd(13)} ${[d.model, d.serial].filter(Boolean).join(' ') || '-'}  ${ports}`);
  }
  return `${lines.join('\n')}\n`;
}

export const scanCli: Command = {
  name: 'scan',
  summary: 'find cameras, NVRs and FaceID terminals on this machine\'s own private LAN, with fingerprints',
  usage: 'scan [--subnet CIDR]... [--concurrency N] [--connect-timeout-ms N] [--time-limit-s N] [--no-discovery] [--json]',
  async run(args, io) {
    try {
      const { report, json } = await scanCommand(args);
      io.out(json ? JSON.stringify(report, null, 2) : renderScan(report).trimEnd());
      return 0;
    } catch (error) {
      return fail(error, io);
    }
  },
};

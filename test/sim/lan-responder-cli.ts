// Runs one LAN device responder as a process on a test host; which one and its options come as JSON in
// POSBON_LAN_RESPONDER: { kind: 'dahua' | 'zkteco' | 'isapi', host, ... }.
import { startIsapiSimulator } from './isapi.js';
import { startDahuaResponder, startZktecoResponder } from './lan-responders.js';

const options = JSON.parse(process.env.POSBON_LAN_RESPONDER ?? '{}') as { kind: string; host: string; serial: string; model: string; username: string; password: string };
const responder =
  options.kind === 'dahua'
    ? await startDahuaResponder(options)
    : options.kind === 'zkteco'
      ? await startZktecoResponder(options)
      : await startIsapiSimulator({ ...options, serialNumber: options.serial, port: 80 });
console.log(`${options.kind} responder on ${options.host}`);
process.once('SIGTERM', () => void responder.stop().then(() => process.exit(0)));

// Runs the ONVIF simulator as a process; its options come as JSON in POSBON_ONVIF_SIM.
import { startOnvifSimulator, type OnvifSimOptions } from './onvif.js';

const options = JSON.parse(process.env.POSBON_ONVIF_SIM ?? '{}') as OnvifSimOptions;
const simulator = await startOnvifSimulator(options);
console.log(`onvif simulator on ${options.host}:${simulator.port}`);
process.once('SIGTERM', () => void simulator.stop().then(() => process.exit(0)));

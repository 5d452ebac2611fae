// Runs the router simulator as a process on a test host; its options come as JSON in POSBON_ROUTER_SIM.
import { startRouterSim, type RouterSimOptions } from './router.js';

const options = JSON.parse(process.env.POSBON_ROUTER_SIM ?? '{}') as RouterSimOptions;
const router = await startRouterSim(options);
console.log(`router on ${options.lan}: wan ${options.wan}, upnp ${options.upnp}, nat-pmp ${options.natPmp}`);
process.once('SIGTERM', () => void router.stop().then(() => process.exit(0)));

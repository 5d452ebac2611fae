// Entry point of a media node's session expiry: `tsx operator/sessions/main.ts`, beside MediaMTX in its pod.
import { z } from 'zod';
import { DEFAULT_RENDER_OPTIONS } from '../core/mediamtx.js';
import { createLogger } from '../../lib/log/logger.js';
import { SessionExpiry } from './session-expiry.js';

const environment = z.object({
  POSBON_MEDIAMTX_API: z
    .string()
    .refine((v) => v.startsWith('unix://'), 'POSBON_MEDIAMTX_API must be the unix:// socket of MediaMTX\'s control API')
    .default(DEFAULT_RENDER_OPTIONS.apiAddress),
  POSBON_SESSION_SWEEP_SECONDS: z.coerce.number().int().min(1, 'POSBON_SESSION_SWEEP_SECONDS must be 1 to 30').max(30, 'POSBON_SESSION_SWEEP_SECONDS must be 1 to 30').default(5),
});

const parsed = environment.safeParse(process.env);
if (!parsed.success) {
  console.error(`posbon-session-expiry: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  process.exit(2);
}
const log = createLogger({ component: 'session-expiry' });
const expiry = SessionExpiry.create({ apiAddress: parsed.data.POSBON_MEDIAMTX_API, log, intervalMs: parsed.data.POSBON_SESSION_SWEEP_SECONDS * 1000 });
expiry.start();
log.info('ending viewer sessions whose token expired', { event: 'start', api: parsed.data.POSBON_MEDIAMTX_API, sweepSeconds: parsed.data.POSBON_SESSION_SWEEP_SECONDS });
const stop = () => void expiry.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

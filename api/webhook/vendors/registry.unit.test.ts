import { Writable } from 'node:stream';
import { createLogger } from '../../../lib/log/logger.js';
import { WEBHOOK_VENDORS } from './registry.js';

/** A URL path of the template with every parameter filled, the token one with `token`. */
const fill = (template: string, tokenParam: string, token: string) =>
  template.replace(/:(\w+)/g, (_, name: string) => (name === tokenParam ? token : `v-${name}`));

describe('the webhook vendor registry', () => {
  it('gives every path-token vendor a token route, and no other vendor one', () => {
    expect(WEBHOOK_VENDORS.map((v) => [v.source, v.credential, v.routes.filter((r) => r.tokenParam).map((r) => r.path)])).toEqual([
      ['hikvision', 'path-token', ['/webhook/:schoolId/:direction/:deviceToken']],
      ['zkteco', 'serial', []],
      ['dahua', 'path-token', ['/dahua/:schoolId/:deviceToken']],
      ['standard-webhooks', 'signing-secret', []],
    ]);
  });

  it("makes the logger redact every vendor's token path, without a prefix to recognise the token by", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ component: 'webhook', stream });
    const tokens: string[] = [];
    for (const vendor of WEBHOOK_VENDORS) {
      for (const route of vendor.routes.filter((r) => r.tokenParam)) {
        const token = `plain${tokens.length}Token${'x'.repeat(20)}`;
        tokens.push(token);
        const url = `${fill(route.path, route.tokenParam!, token)}?from=device`;
        // Control: the token is in what is logged.
        expect(url).toContain(token);
        logger.info('request refused', { url, error: new Error(`bad push to ${url}`) });
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(tokens.length).toBe(2);
    expect(lines.length).toBe(2);
    expect(tokens.filter((token) => lines.some((line) => line.includes(token)))).toEqual([]);
    expect(lines.map((line) => (JSON.parse(line) as { url: string }).url)).toEqual([
      '/webhook/v-schoolId/v-direction/[REDACTED]?from=device',
      '/dahua/v-schoolId/[REDACTED]?from=device',
    ]);
  });
});

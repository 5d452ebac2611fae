import type { AddressInfo } from 'node:net';
import express from 'express';
import { createAppServer } from './http-server.js';

describe('an Express app on its own HTTP server', () => {
  it('gets requests and responses already built with the app\'s prototypes, Express\'s methods and `app` working', async () => {
    const app = express();
    const born: { request: boolean; response: boolean }[] = [];
    const seen: { requestIsApps: boolean; responseIsApps: boolean; appOfRequest: boolean }[] = [];
    app.get('/schools/:schoolId', (req, res) => {
      seen.push({
        requestIsApps: Object.getPrototypeOf(req) === app.request,
        responseIsApps: Object.getPrototypeOf(res) === app.response,
        appOfRequest: req.app === app,
      });
      res.status(201).json({ schoolId: req.params.schoolId, agent: req.get('user-agent') });
    });
    const server = createAppServer(app);
    // Before Express sees them: what Node built.
    server.prependListener('request', (req, res) => born.push({ request: Object.getPrototypeOf(req) === app.request, response: Object.getPrototypeOf(res) === app.response }));
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/schools/school-1`, { headers: { 'user-agent': 'posbon-test' } });
      expect({ status: response.status, type: response.headers.get('content-type'), body: await response.json() }).toEqual({
        status: 201,
        type: 'application/json; charset=utf-8',
        body: { schoolId: 'school-1', agent: 'posbon-test' },
      });
      expect(born).toEqual([{ request: true, response: true }]);
      expect(seen).toEqual([{ requestIsApps: true, responseIsApps: true, appOfRequest: true }]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

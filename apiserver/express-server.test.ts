import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, expressServerClasses } from './express-server.js';

describe('express server classes', () => {
  const servers: { close(): void }[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('serves express apps whose requests are born with the app prototypes (no per-request swap)', async () => {
    const app = express();
    const seen: { sameReq: boolean; sameRes: boolean; app: boolean }[] = [];
    // Express's own request/response API works as usual on these objects.
    app.use((req, res) => {
      seen.push({ sameReq: Object.getPrototypeOf(req) === app.request, sameRes: Object.getPrototypeOf(res) === app.response, app: req.app === app && res.app === app });
      res.status(201).set('X-Echo', req.get('x-probe') ?? '').json({ path: req.path, method: req.method });
    });
    const classes = expressServerClasses(app);
    const srv = createHttpServer(app, classes);
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as AddressInfo;
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/pods?x=${i}`, { headers: { 'X-Probe': `p${i}` } });
      expect(r.status).toBe(201);
      expect(r.headers.get('x-echo')).toBe(`p${i}`);
      expect(await r.json()).toEqual({ path: '/api/v1/pods', method: 'GET' });
    }
    expect(seen).toEqual([
      { sameReq: true, sameRes: true, app: true },
      { sameReq: true, sameRes: true, app: true },
    ]);
  });

  it('keeps the node classes underneath: requests are IncomingMessages, responses ServerResponses', async () => {
    const http = await import('node:http');
    const app = express();
    const classes = expressServerClasses(app);
    // express's methods in between (compared, not printed: express's getters throw on a bare prototype)
    expect(Object.getPrototypeOf(classes.IncomingMessage.prototype) === http.IncomingMessage.prototype).toBe(false);
    expect(classes.IncomingMessage.prototype instanceof http.IncomingMessage).toBe(true);
    expect(classes.ServerResponse.prototype instanceof http.ServerResponse).toBe(true);
    expect(typeof (app.request as unknown as { get: unknown }).get).toBe('function');
    expect(typeof (app.response as unknown as { json: unknown }).json).toBe('function');
  });
});

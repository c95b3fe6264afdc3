// The HTTP(S) servers for the express app, with request and response objects that are born
// express's. Express gives every request its own request/response API by swapping the
// prototypes of node's objects on each request (`Object.setPrototypeOf(req, app.request)`).
// Each swap invalidates V8's cached property lookups along node's IncomingMessage and
// ServerResponse chains, and node's http code then runs on slow paths: measured on this
// server's write path, 200-240 us of CPU per request against 80 us for the same handler
// without the swap. Here node creates the objects from classes whose prototypes already are
// the app's `request` and `response`, so express's swap finds nothing to change: the same
// express app and API, without the per-request cost.
import type { Express } from 'express';
import http from 'node:http';
import https from 'node:https';

export interface ServerClasses {
  IncomingMessage: typeof http.IncomingMessage;
  ServerResponse: typeof http.ServerResponse;
}

/** Makes `app.request`/`app.response` the prototypes of classes node can create requests from. */
export function expressServerClasses(app: Express): ServerClasses {
  class Request extends http.IncomingMessage {}
  class Response extends http.ServerResponse {}
  // The chains express builds (app.request -> express.request -> IncomingMessage.prototype),
  // with the class prototype in app.request's place, and the `app` property express gives it.
  const wire = (proto: object, expressProto: object) => {
    Object.setPrototypeOf(proto, Object.getPrototypeOf(expressProto) as object);
    Object.defineProperty(proto, 'app', { configurable: true, enumerable: true, writable: true, value: app });
  };
  wire(Request.prototype, app.request);
  wire(Response.prototype, app.response);
  app.request = Request.prototype as unknown as Express['request'];
  app.response = Response.prototype as unknown as Express['response'];
  // Node's option type is generic in the request class; this one serves the class above.
  return { IncomingMessage: Request, ServerResponse: Response as typeof http.ServerResponse };
}

export interface ServerLimits {
  maxHeaderSize?: number;
}

export function createHttpServer(handler: http.RequestListener, classes: ServerClasses, limits: ServerLimits = {}): http.Server {
  return http.createServer({ ...classes, ...limits }, handler);
}

export function createHttpsServer(handler: http.RequestListener, classes: ServerClasses, tls: { cert: string | Buffer; key: string | Buffer }, limits: ServerLimits = {}): https.Server {
  return https.createServer({ ...classes, ...limits, cert: tls.cert, key: tls.key }, handler);
}

// httpGet probes (Kubernetes' prober/http): a GET that succeeds on 2xx and 3xx, within the
// probe's timeout. Certificates are not verified for HTTPS, as in Kubernetes: the probe asks
// "is it serving", not "is it who it says".
import http from 'node:http';
import https from 'node:https';
import type { ProbeOutcome } from './types.js';

export interface HttpProbeTarget {
  scheme: 'HTTP' | 'HTTPS';
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
}

export function probeUrl(t: HttpProbeTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const path = t.path.startsWith('/') ? t.path : `/${t.path}`;
  return `${t.scheme.toLowerCase()}://${host}:${t.port}${path}`;
}

/** How much of the body to keep for the failure message. */
const MAX_BODY = 10 * 1024;

export function httpProbe(t: HttpProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const url = probeUrl(t);
  const mod = t.scheme === 'HTTPS' ? https : http;
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = mod.get(
      url,
      {
        headers: { 'User-Agent': 'kube-probe/1.30', Accept: '*/*', Connection: 'close', ...t.headers },
        agent: false,
        ...(t.scheme === 'HTTPS' ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (b: Buffer) => {
          if (size < MAX_BODY) chunks.push(b);
          size += b.length;
        });
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          const body = Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY);
          if (code >= 200 && code < 400) finish({ result: 'Success', output: body });
          else finish({ result: 'Failure', output: `HTTP probe failed with statuscode: ${code}` });
        });
        res.on('error', (e) => finish({ result: 'Failure', output: `Get "${url}": ${e.message}` }));
      },
    );
    req.on('error', (e) => finish({ result: 'Failure', output: `Get "${url}": ${e.message}` }));
    const timer = setTimeout(() => {
      finish({ result: 'Failure', output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
      req.destroy();
    }, timeoutMs);
  });
}

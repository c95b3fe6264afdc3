// The kuard-style demo image, built with skiff's own image writer from busybox-static: an
// HTTP server on 8080 (busybox httpd) whose front page shows the pod's name, addresses
// and environment, with /healthy and /ready for probes. Two layers: busybox, then the site.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ContentStore } from '../runtime/images/content-store.js';
import { writeImage, type WrittenImage } from '../runtime/images/image-writer.js';
import { writeBusyboxRootfs } from './busybox-rootfs.js';

const INDEX_CGI = `#!/bin/sh
# kuard-style front page: who am I, where am I, what is in my environment.
# CGI headers end in CRLF: strict HTTP clients refuse bare LF.
printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
cat <<HTML
<!doctype html>
<html><head><title>skiff demo: $(hostname)</title></head>
<body style="font-family: sans-serif">
<h1>Hello from $(hostname)</h1>
<p>Served by a kuard-style demo container built by skiff from busybox-static.</p>
<h2>Request</h2>
<pre>$REQUEST_METHOD $REQUEST_URI from $REMOTE_ADDR</pre>
<h2>Addresses</h2>
<pre>$(ip -4 -o addr show 2>/dev/null | awk '{print $2, $4}')</pre>
<h2>Environment</h2>
<pre>$(env | grep -v -E '^(HTTP_|REQUEST_|REMOTE_|SERVER_|GATEWAY_|SCRIPT_|QUERY_|PATH_INFO|CONTENT_)' | sort | sed 's/&/\\&amp;/g; s/</\\&lt;/g')</pre>
<p><a href="/healthy">/healthy</a> · <a href="/ready">/ready</a></p>
</body></html>
HTML
`;

export const DEMO_CONFIG = {
  Entrypoint: ['/bin/httpd', '-f', '-p', '8080', '-h', '/www'],
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  ExposedPorts: { '8080/tcp': {} },
  WorkingDir: '/www',
  Labels: { 'org.opencontainers.image.title': 'skiff kuard demo', 'org.opencontainers.image.source': 'skiff manifests' },
  StopSignal: 'SIGTERM',
};

export async function writeDemoImage(store: ContentStore): Promise<WrittenImage> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'skiff-demo-base-'));
  const site = await mkdtemp(path.join(os.tmpdir(), 'skiff-demo-site-'));
  try {
    await writeBusyboxRootfs(base);
    await mkdir(path.join(site, 'www', 'cgi-bin'), { recursive: true });
    await writeFile(path.join(site, 'www', 'cgi-bin', 'index.cgi'), INDEX_CGI);
    await chmod(path.join(site, 'www', 'cgi-bin', 'index.cgi'), 0o755);
    await writeFile(path.join(site, 'www', 'healthy'), 'ok\n');
    await writeFile(path.join(site, 'www', 'ready'), 'ok\n');
    return await writeImage(store, {
      layers: [
        { dir: base, createdBy: 'COPY busybox-static /' },
        { dir: site, createdBy: 'COPY www /www' },
      ],
      config: DEMO_CONFIG,
    });
  } finally {
    await rm(base, { recursive: true, force: true });
    await rm(site, { recursive: true, force: true });
  }
}

// Who may call the kubelet's server: only holders of a token the kubelet was given in a file
// (one token per line; the API server presents the same one from --kubelet-client-token-file).
// A shared secret rather than Kubernetes' webhook authentication (TokenReview against the API
// server): it needs no round trip per request and no API the server does not yet serve, and
// every holder is the API server, so authorization is all-or-nothing.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

function digest(s: string): Buffer {
  // Equal-length digests let timingSafeEqual compare tokens of any length.
  return createHash('sha256').update(s).digest();
}

export class KubeletAuthenticator {
  readonly #tokens: Buffer[];

  constructor(tokens: string[]) {
    this.#tokens = tokens.map((t) => t.trim()).filter(Boolean).map(digest);
  }

  static fromFile(file: string): KubeletAuthenticator {
    return new KubeletAuthenticator(readFileSync(file, 'utf8').split('\n'));
  }

  /** Whether an Authorization header carries one of the tokens. */
  allows(authorization: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return false;
    const d = digest(m[1]);
    let ok = false;
    for (const t of this.#tokens) ok = timingSafeEqual(t, d) || ok;
    return ok;
  }
}

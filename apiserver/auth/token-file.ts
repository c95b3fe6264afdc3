// Static bearer tokens in kube-apiserver's --token-auth-file format: one user per line,
// `token,user,uid,"group1,group2"` (the group column optional and quoted when it has commas).
import { readFileSync } from 'node:fs';
import type { UserInfo } from './user.js';

/** Splits one CSV line, honouring double quotes ("" inside quotes is a literal quote). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      fields.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (quoted) throw new Error('unterminated quote');
  fields.push(cur);
  return fields.map((f) => f.trim());
}

export class TokenAuthenticator {
  readonly #tokens = new Map<string, UserInfo>();

  add(token: string, user: UserInfo): this {
    if (!token) throw new Error('empty token');
    this.#tokens.set(token, { ...user, groups: [...user.groups] });
    return this;
  }

  authenticate(token: string): UserInfo | null {
    return this.#tokens.get(token) ?? null;
  }

  get size(): number {
    return this.#tokens.size;
  }

  /** Parses the file format; errors name the line. */
  static parse(text: string, source = 'token file'): TokenAuthenticator {
    const auth = new TokenAuthenticator();
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      let fields: string[];
      try {
        fields = splitCsvLine(line);
      } catch (e) {
        throw new Error(`${source}:${i + 1}: ${(e as Error).message}`, { cause: e });
      }
      const [token, name, uid, groups] = fields;
      if (!token || !name) throw new Error(`${source}:${i + 1}: want token,user,uid[,"group1,group2"]`);
      const groupList = groups ? groups.split(',').map((g) => g.trim()).filter(Boolean) : [];
      auth.add(token, { name, uid: uid || undefined, groups: groupList });
    });
    return auth;
  }
}

export function loadTokenFile(path: string): TokenAuthenticator {
  return TokenAuthenticator.parse(readFileSync(path, 'utf8'), path);
}

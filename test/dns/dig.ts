// The real `dig` (Debian's dnsutils, installed by scripts/setup.sh) against a server on
// loopback, its answer read back section by section.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DigAnswer {
  status: string;
  flags: string[];
  /** Records as `name ttl TYPE data`, one space between fields. */
  answer: string[];
  authority: string[];
  additional: string[];
}

export async function dig(port: number, name: string, type = 'A', extra: string[] = []): Promise<DigAnswer> {
  const args = ['@127.0.0.1', '-p', String(port), ...(type === 'PTR' ? ['-x', name] : [name, type]), '+noall', '+comments', '+answer', '+authority', '+additional', '+tries=1', '+time=4', ...extra];
  const { stdout } = await run('dig', args, { timeout: 20_000 });
  const out: DigAnswer = { status: '', flags: [], answer: [], authority: [], additional: [] };
  let section: 'answer' | 'authority' | 'additional' | undefined;
  for (const line of stdout.split('\n')) {
    const status = /status: (\w+)/.exec(line);
    if (status) out.status = status[1] as string;
    const flags = /^;; flags: ([a-z ]+);/.exec(line);
    if (flags) out.flags = (flags[1] as string).trim().split(' ');
    const header = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (header) section = (header[1] as string).toLowerCase() as typeof section;
    else if (line.startsWith(';') || !line.trim()) continue;
    else if (section) {
      const [rname, ttl, , rtype, ...data] = line.trim().split(/\s+/);
      out[section].push(`${rname} ${ttl} ${rtype} ${data.join(' ')}`);
    }
  }
  return out;
}

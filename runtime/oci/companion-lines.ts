// The spawn companion's line protocol as this process reads and writes it (the grammar is in
// spawn-companion.c's header): every string hex, "-" when empty, so a message is one line of
// plain words.
export type FromHelper =
  | { t: 'done'; id: number; code: number | null; signal: number | null; stdout: string; stderr: string }
  | { t: 'error'; id: number; message: string }
  | { t: 'fd3'; id: number; data: string }
  | { t: 'fd3end'; id: number }
  | { t: 'exit'; id: number; code: number | null; signal: number | null };

/** A string as the companion's lines carry it: hex, "-" when empty. */
export const hex = (s: string) => (s ? Buffer.from(s).toString('hex') : '-');
const unhex = (h: string | undefined) => (!h || h === '-' ? '' : Buffer.from(h, 'hex').toString());
const num = (w: string | undefined) => (w === undefined || w === '-' ? null : Number(w));

export function parseLine(line: string): FromHelper {
  const [t, idWord, a, b, c, d] = line.split(' ');
  const id = Number(idWord);
  switch (t) {
    case 'done':
      return { t, id, code: num(a), signal: num(b), stdout: unhex(c), stderr: unhex(d) };
    case 'fd3':
      return { t, id, data: unhex(a) };
    case 'fd3end':
      return { t, id };
    case 'exit':
      return { t, id, code: num(a), signal: num(b) };
    default:
      return { t: 'error', id, message: t === 'error' ? unhex(a) : `unreadable line from the spawn companion: ${line.slice(0, 200)}` };
  }
}

/** The words of a command line and its environment (variables without a value are left out, as spawn does). */
export function commandWords(cmd: string, args: string[], env: NodeJS.ProcessEnv): (string | number)[] {
  const vars = Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => hex(`${k}=${v}`));
  return [hex(cmd), args.length, ...args.map(hex), vars.length, ...vars];
}

// The uid, gid and supplementary groups a container runs as: runAsUser/runAsGroup from the
// security context, else the image's User ("name", "uid", "name:group", "uid:gid"), names
// looked up in the image's own /etc/passwd and /etc/group (read with secure-path.ts, never
// following a link out of the rootfs). Like containerd: a numeric uid missing from passwd is
// fine (gid 0); a missing *name* is an error.
import { RuntimeError } from '../cri.js';
import { readFileInRoot } from './secure-path.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** The passwd name when known (for HOME and groups). */
  username?: string;
  home?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The colon-separated records of /etc/passwd or /etc/group: comments and short lines are skipped. */
function colonRecords(text: string | undefined, minFields: number): string[][] {
  const out: string[][] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.trim().split(':');
    if (f.length >= minFields && !line.startsWith('#')) out.push(f);
  }
  return out;
}

function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of colonRecords(text, 6)) {
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) out.push({ name: f[0], uid, gid, home: f[5] });
  }
  return out;
}

function parseGroup(text: string | undefined): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of colonRecords(text, 3)) {
    const gid = Number(f[2]);
    if (Number.isInteger(gid)) out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

const isNumeric = (s: string) => /^\d+$/.test(s);

export interface UserRequest {
  runAsUser?: number;
  runAsGroup?: number;
  runAsUsername?: string;
  supplementalGroups?: number[];
  /** The image config's User. */
  imageUser?: string;
}

export async function resolveUser(rootfs: string, req: UserRequest): Promise<ResolvedUser> {
  const passwd = parsePasswd(await readFileInRoot(rootfs, '/etc/passwd'));
  const groups = parseGroup(await readFileInRoot(rootfs, '/etc/group'));

  let userPart: string;
  let groupPart: string | undefined;
  if (req.runAsUser !== undefined) userPart = String(req.runAsUser);
  else if (req.runAsUsername) userPart = req.runAsUsername;
  else {
    const [u, g] = (req.imageUser ?? '').split(':', 2);
    userPart = u || '0';
    groupPart = g || undefined;
  }

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (isNumeric(userPart)) {
    uid = Number(userPart);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    if (!entry) throw new RuntimeError('InvalidArgument', `unable to find user ${userPart}: no matching entries in the image's /etc/passwd`);
    uid = entry.uid;
  }

  let gid = entry?.gid ?? 0;
  if (req.runAsGroup !== undefined) gid = req.runAsGroup;
  else if (groupPart !== undefined) {
    if (isNumeric(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new RuntimeError('InvalidArgument', `unable to find group ${groupPart}: no matching entries in the image's /etc/group`);
      gid = g.gid;
    }
  }

  const extra = new Set<number>();
  if (entry) for (const g of groups) if (g.members.includes(entry.name) && g.gid !== gid) extra.add(g.gid);
  for (const g of req.supplementalGroups ?? []) if (g !== gid) extra.add(g);
  return { uid, gid, additionalGids: [...extra].sort((a, b) => a - b), username: entry?.name, home: entry?.home };
}

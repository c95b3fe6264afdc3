// How docker shows images: decimal sizes with three significant digits ("12.3MB"),
// creation as "2 hours ago", and a row per tag (REPOSITORY TAG IMAGE ID CREATED SIZE) with
// Docker Hub's names made familiar ("docker.io/library/busybox" -> "busybox").
import { humanSize } from '../../api/human-size.js';
import type { NodeImage, PruneReport } from '../../api/wire/node-images.js';

export type { NodeImage, PruneReport };
export { humanSize };

export function humanAgo(iso: string | undefined, now: number): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return 'N/A';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  const steps: [number, string][] = [
    [365 * 86400, 'year'],
    [30 * 86400, 'month'],
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [sec, name] of steps) {
    const k = Math.floor(s / sec);
    if (k >= 1) return `${k === 1 ? (name === 'hour' ? 'An' : 'A') : k} ${name}${k === 1 ? '' : 's'} ago`;
  }
  return 'Less than a minute ago';
}

/** "127.0.0.1:5000/app:v1" -> ["127.0.0.1:5000/app", "v1"]; a digest reference has no tag. */
export function splitTag(ref: string): { repository: string; tag?: string } {
  const at = ref.indexOf('@');
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  return { repository: familiar(hasTag ? name.slice(0, colon) : name), ...(hasTag ? { tag: name.slice(colon + 1) } : {}) };
}

function familiar(repo: string): string {
  return repo.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** One row per tag; an untagged image once, with <none>. */
export function imageRows(images: NodeImage[], now: number): string[][] {
  const rows: string[][] = [];
  for (const img of images) {
    const tail = [shortId(img.id), humanAgo(img.created, now), humanSize(img.size)];
    if (img.repoTags.length === 0) rows.push([img.repoDigests[0] ? splitTag(img.repoDigests[0]).repository : '<none>', '<none>', ...tail]);
    for (const t of img.repoTags) {
      const r = splitTag(t);
      rows.push([r.repository, r.tag ?? '<none>', ...tail]);
    }
  }
  return rows;
}

/** docker image prune's report. */
export function formatPrune(r: PruneReport): string {
  const lines: string[] = [];
  if (r.containersDeleted?.length) lines.push('Deleted Containers:', ...r.containersDeleted, '');
  if (r.imagesDeleted.length) lines.push('Deleted Images:', ...r.imagesDeleted.map((id) => `deleted: ${id}`), '');
  lines.push(`Total reclaimed space: ${humanSize(r.spaceReclaimed)}`);
  return `${lines.join('\n')}\n`;
}

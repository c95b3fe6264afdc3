// Wasted bytes: file content a layer ships that the final root file system never shows. The
// layers are applied in order as overlayfs would stack them (image-spec layer.md): a whiteout
// ".wh.NAME" deletes NAME (and all under it) from the layers below, an opaque
// ".wh..wh..opq" empties its directory of lower entries, and an entry at a path replaces the
// lower one there (a non-directory replaces the whole lower subtree). A file's content stays
// visible while any path reaches it (hardlinks share content), so it is wasted only when the
// last one is gone; the layer that removed that last path is the one that "hid" it.
import type { LayerEntry } from './layer-reader.js';

export type HiddenHow = 'deleted' | 'opaque' | 'overwritten';

export interface WasteEntry {
  /** "/path" as the layer shipped it. */
  path: string;
  size: number;
  /** Index (0-based) of the layer that shipped the content. */
  layer: number;
  /** Index of the layer whose whiteout, opaque directory or new entry hid it. */
  hiddenBy: number;
  how: HiddenHow;
}

interface Content {
  layer: number;
  path: string;
  size: number;
  refs: number;
  hidden?: { layer: number; how: HiddenHow };
}

interface Visible {
  kind: 'file' | 'hardlink' | 'symlink' | 'dir' | 'other';
  content?: Content;
}

export class RootfsModel {
  readonly #visible = new Map<string, Visible>();
  readonly #contents: Content[] = [];
  readonly #byOrigin = new Map<string, Content>();

  /** Applies the next layer (its entries in tar order) on top of what is there. */
  apply(layer: number, entries: LayerEntry[]): void {
    // Whiteouts act on the layers below only, wherever they sit in this layer's tar.
    for (const e of entries) {
      if (e.kind === 'whiteout') this.#remove(e.path, true, { layer, how: 'deleted' });
      else if (e.kind === 'opaque') this.#removeBelow(e.path, { layer, how: 'opaque' });
    }
    for (const e of entries) {
      if (e.kind === 'whiteout' || e.kind === 'opaque' || e.path === '') continue;
      const how = { layer, how: 'overwritten' as const };
      this.#ancestorsAreDirs(e.path, how);
      const had = this.#visible.get(e.path);
      if (e.kind === 'dir') {
        // A directory over a directory merges; over anything else it replaces it.
        if (had && had.kind !== 'dir') this.#remove(e.path, false, how);
        if (!had || had.kind !== 'dir') this.#visible.set(e.path, { kind: 'dir' });
        continue;
      }
      if (had) this.#remove(e.path, true, how);
      let content: Content | undefined;
      if (e.kind === 'file') {
        content = { layer, path: e.path, size: e.size, refs: 0 };
        this.#contents.push(content);
        this.#byOrigin.set(`${layer}\0${e.path}`, content);
      } else if (e.kind === 'hardlink' && e.linkTo !== undefined) {
        content = this.#visible.get(e.linkTo)?.content;
      }
      if (content) content.refs++;
      this.#visible.set(e.path, { kind: e.kind, content });
    }
  }

  /** Content shipped but never visible at the end, largest first. */
  waste(): WasteEntry[] {
    return this.#contents
      .filter((c) => c.refs === 0 && c.size > 0 && c.hidden)
      .map((c) => ({ path: `/${c.path}`, size: c.size, layer: c.layer, hiddenBy: c.hidden!.layer, how: c.hidden!.how }))
      .sort((a, b) => b.size - a.size || a.path.localeCompare(b.path));
  }

  /** Whether the content a layer shipped at `path` is still reachable in the final rootfs. */
  isVisible(layer: number, path: string): boolean {
    return (this.#byOrigin.get(`${layer}\0${path}`)?.refs ?? 0) > 0;
  }

  /** Paths visible now (for tests and listings). */
  paths(): string[] {
    return [...this.#visible.keys()].sort();
  }

  #unref(v: Visible, hidden: { layer: number; how: HiddenHow }): void {
    if (!v.content) return;
    v.content.refs--;
    if (v.content.refs === 0) v.content.hidden = hidden;
  }

  /** Removes `path` and, when `subtree`, everything under it. */
  #remove(path: string, subtree: boolean, hidden: { layer: number; how: HiddenHow }): void {
    const v = this.#visible.get(path);
    if (v) {
      this.#unref(v, hidden);
      this.#visible.delete(path);
    }
    // Only a directory can have anything under it: every entry's ancestors are made directories.
    if (subtree && v?.kind === 'dir') this.#removeBelow(path, hidden);
  }

  #removeBelow(dir: string, hidden: { layer: number; how: HiddenHow }): void {
    const prefix = dir === '' ? '' : `${dir}/`;
    for (const [p, v] of this.#visible) {
      if (!p.startsWith(prefix) || p === dir) continue;
      this.#unref(v, hidden);
      this.#visible.delete(p);
    }
  }

  /** A path under a lower non-directory turns that path into a directory (overlayfs does the same). */
  #ancestorsAreDirs(path: string, hidden: { layer: number; how: HiddenHow }): void {
    let i = path.indexOf('/');
    while (i > 0) {
      const a = path.slice(0, i);
      const v = this.#visible.get(a);
      if (v && v.kind !== 'dir') {
        this.#unref(v, hidden);
        this.#visible.set(a, { kind: 'dir' });
      } else if (!v) this.#visible.set(a, { kind: 'dir' });
      i = path.indexOf('/', i + 1);
    }
  }
}

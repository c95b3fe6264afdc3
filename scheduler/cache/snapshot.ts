// The view plugins get for one scheduling cycle: clones of the cache's NodeInfos, so that
// nothing the informers do mid-cycle changes what the plugins are looking at. Updated
// incrementally: only nodes that changed since the last cycle are cloned again.
import type { SnapshotLister } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';

export class Snapshot implements SnapshotLister {
  readonly nodeInfos = new Map<string, NodeInfo>();
  #list: NodeInfo[] = [];
  /** name -> position in #list, so a changed node is swapped in place without a rebuild */
  #position = new Map<string, number>();
  #imageCounts = new Map<string, number>();
  #listStale = true;

  list(): readonly NodeInfo[] {
    if (this.#listStale) this.#rebuild();
    return this.#list;
  }

  get(name: string): NodeInfo | undefined {
    const ni = this.nodeInfos.get(name);
    return ni?.node ? ni : undefined;
  }

  imageNodeCount(image: string): number {
    if (this.#listStale) this.#rebuild();
    return this.#imageCounts.get(image) ?? 0;
  }

  /** Called by the cache: replace (or with undefined, drop) one node's entry. */
  set(name: string, ni: NodeInfo | undefined): void {
    const old = this.nodeInfos.get(name);
    if (ni) this.nodeInfos.set(name, ni);
    else this.nodeInfos.delete(name);
    // The list order and image counts only change when a Node object comes, goes or changes;
    // otherwise the new clone simply takes the old one's place.
    if (old?.node !== ni?.node) this.#listStale = true;
    else if (!this.#listStale && ni) {
      const i = this.#position.get(name);
      if (i !== undefined) this.#list[i] = ni;
    }
  }

  #rebuild(): void {
    this.#list = [...this.nodeInfos.values()].filter((n) => n.node !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.#position = new Map(this.#list.map((n, i) => [n.name, i]));
    this.#imageCounts = new Map();
    for (const ni of this.#list) for (const img of ni.images.keys()) this.#imageCounts.set(img, (this.#imageCounts.get(img) ?? 0) + 1);
    this.#listStale = false;
  }
}

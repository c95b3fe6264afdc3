// Reads the objects of `-f FILE|DIR|-`: multi-document YAML or JSON, `kind: List` expanded.
// A file either parses completely or yields one error naming file, line and column, so a
// caller can refuse to apply anything from it. Each object keeps a way back to its source
// position, so a server's complaint about `spec.containers[0].imagee` can name the line.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { KubeObject } from '../../api/types/meta.js';

export interface Position {
  line: number;
  col: number;
}

export interface Manifest {
  object: KubeObject;
  /** The file name as given ("-" for stdin). */
  source: string;
  /** Where the object starts. */
  position: Position;
  /** Source position of a field path ("spec.containers[0].image") inside this object, if found. */
  locate(fieldPath: string): Position | undefined;
}

export interface ManifestFile {
  source: string;
  manifests: Manifest[];
  /** Set when the file could not be read or parsed: then `manifests` is empty. */
  error?: string;
}

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);

/** "spec.containers[0].image" -> ["spec", "containers", 0, "image"] */
export function splitFieldPath(fieldPath: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of fieldPath.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[1] !== undefined) out.push(m[1]);
  }
  return out;
}

function locator(doc: Document, lines: LineCounter, prefix: (string | number)[]) {
  return (fieldPath: string): Position | undefined => {
    const keys = [...prefix, ...splitFieldPath(fieldPath)];
    let node: unknown = doc.contents;
    let offset: number | undefined;
    for (const key of keys) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        offset = isScalar(pair.key) ? pair.key.range?.[0] : offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key] as { range?: [number, number, number] } | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return offset === undefined ? undefined : lines.linePos(offset);
  };
}

function describeShape(v: unknown): string {
  return Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

/** Parses the text of one file; throws an Error whose message is the one-line complaint. */
export function parseManifests(text: string, source: string): Manifest[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const out: Manifest[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const pos = lines.linePos(err.pos[0]);
      const message = err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? err.message;
      throw new Error(`${source}:${pos.line}:${pos.col}: YAML syntax error: ${message}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const start = lines.linePos((doc.contents as { range?: number[] } | null)?.range?.[0] ?? 0);
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`${source}:${start.line}:${start.col}: expected a Kubernetes object (a mapping), found ${describeShape(value)}`);
    }
    const obj = value as Record<string, unknown>;
    const items = typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items) ? obj.items : undefined;
    const entries = items ? items.map((item, i) => ({ item, prefix: ['items', i] as (string | number)[] })) : [{ item: value, prefix: [] }];
    for (const { item, prefix } of entries) {
      const locate = locator(doc, lines, prefix);
      const at = prefix.length > 0 ? (locate('') ?? start) : start;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new Error(`${source}:${at.line}:${at.col}: expected a Kubernetes object (a mapping), found ${describeShape(item)}`);
      }
      const o = item as Partial<KubeObject>;
      if (!o.apiVersion || typeof o.apiVersion !== 'string') throw new Error(`${source}:${at.line}:${at.col}: the object has no apiVersion`);
      if (!o.kind || typeof o.kind !== 'string') throw new Error(`${source}:${at.line}:${at.col}: the object has no kind`);
      if (o.metadata !== undefined && (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata))) {
        const m = locate('metadata') ?? at;
        throw new Error(`${source}:${m.line}:${m.col}: metadata must be a mapping, found ${describeShape(o.metadata)}`);
      }
      const object = { ...o, metadata: o.metadata ?? {} } as KubeObject;
      out.push({ object, source, position: at, locate });
    }
  }
  return out;
}

async function filesOf(target: string, recursive: boolean): Promise<string[]> {
  const st = await stat(target);
  if (!st.isDirectory()) return [target];
  const entries = await readdir(target, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(target, e.name);
    if (e.isDirectory()) {
      if (recursive) out.push(...(await filesOf(p, true)));
    } else if (MANIFEST_EXT.has(path.extname(e.name).toLowerCase())) out.push(p);
  }
  return out;
}

export interface LoadOptions {
  recursive?: boolean;
  /** Reads all of stdin, for "-". */
  readStdin?: () => Promise<string>;
}

/** Loads every -f argument; a missing path or a bad file becomes that file's error. */
export async function loadManifests(targets: string[], options: LoadOptions = {}): Promise<ManifestFile[]> {
  const out: ManifestFile[] = [];
  for (const target of targets) {
    if (target === '-') {
      const text = options.readStdin ? await options.readStdin() : '';
      out.push(parseFile(text, '-'));
      continue;
    }
    let files: string[];
    try {
      files = await filesOf(target, options.recursive ?? false);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      out.push({ source: target, manifests: [], error: code === 'ENOENT' ? `the path "${target}" does not exist` : `${target}: ${(err as Error).message}` });
      continue;
    }
    if (files.length === 0) out.push({ source: target, manifests: [], error: `no manifests (.yaml, .yml, .json) in "${target}"` });
    for (const f of files) {
      try {
        out.push(parseFile(await readFile(f, 'utf8'), f));
      } catch (err) {
        out.push({ source: f, manifests: [], error: `${f}: ${(err as Error).message}` });
      }
    }
  }
  return out;
}

function parseFile(text: string, source: string): ManifestFile {
  try {
    return { source, manifests: parseManifests(text, source) };
  } catch (err) {
    return { source, manifests: [], error: (err as Error).message };
  }
}

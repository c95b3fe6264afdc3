import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests, parseManifests, splitFieldPath } from './manifests.js';

const pod = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: busybox\n`;

describe('parseManifests', () => {
  it('reads several YAML documents, skipping empty ones', () => {
    const ms = parseManifests(`${pod('a')}---\n---\n${pod('b')}`, 'x.yaml');
    expect(ms.map((m) => m.object.metadata.name)).toEqual(['a', 'b']);
    expect(ms[1]?.position.line).toBe(11);
  });

  it('reads JSON and expands kind: List', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n1' } }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n2' } }] };
    const ms = parseManifests(JSON.stringify(list, null, 2), 'l.json');
    expect(ms.map((m) => `${m.object.kind}/${m.object.metadata.name}`)).toEqual(['Namespace/n1', 'Namespace/n2']);
  });

  it('names file, line and column of a YAML syntax error', () => {
    expect(() => parseManifests('apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n', 'bad.yaml')).toThrow(/^bad\.yaml:\d+:\d+: YAML syntax error: /);
    expect(() => parseManifests('apiVersion: v1\nkind: Pod\nkind: Pod\n', 'dup.yaml')).toThrow(/^dup\.yaml:3:1: YAML syntax error: Map keys must be unique/);
  });

  it('refuses objects without apiVersion or kind, and non-mappings', () => {
    expect(() => parseManifests('kind: Pod\nmetadata: {name: a}\n', 'f.yaml')).toThrow('f.yaml:1:1: the object has no apiVersion');
    expect(() => parseManifests(`${pod('a')}---\napiVersion: v1\nmetadata: {name: b}\n`, 'f.yaml')).toThrow('f.yaml:10:1: the object has no kind');
    expect(() => parseManifests('- a\n- b\n', 'f.yaml')).toThrow('found a list');
  });

  it('locates a field path in the source', () => {
    const [m] = parseManifests(`# comment\n${pod('a')}`, 'p.yaml');
    expect(m?.locate('spec.containers[0].image')).toEqual({ line: 9, col: 5 });
    expect(m?.locate('metadata.name')).toEqual({ line: 5, col: 3 });
  });

  it('splits field paths', () => {
    expect(splitFieldPath('spec.containers[10].ports[0].containerPort')).toEqual(['spec', 'containers', 10, 'ports', 0, 'containerPort']);
  });
});

describe('loadManifests', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-manifests-'));
    await writeFile(path.join(dir, 'b.yaml'), pod('b'));
    await writeFile(path.join(dir, 'a.yml'), pod('a'));
    await writeFile(path.join(dir, 'notes.txt'), 'not a manifest');
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'c.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'c' }, spec: { containers: [] } }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a directory in name order, recursing only with -R', async () => {
    const flat = await loadManifests([dir]);
    expect(flat.flatMap((f) => f.manifests.map((m) => m.object.metadata.name))).toEqual(['a', 'b']);
    const deep = await loadManifests([dir], { recursive: true });
    expect(deep.flatMap((f) => f.manifests.map((m) => m.object.metadata.name))).toEqual(['a', 'b', 'c']);
  });

  it('reads stdin for -', async () => {
    const [f] = await loadManifests(['-'], { readStdin: async () => pod('s') });
    expect(f?.source).toBe('-');
    expect(f?.manifests[0]?.object.metadata.name).toBe('s');
  });

  it('reports a missing path as that argument\'s error', async () => {
    const [f] = await loadManifests([path.join(dir, 'nope.yaml')]);
    expect(f?.error).toBe(`the path "${path.join(dir, 'nope.yaml')}" does not exist`);
    expect(f?.manifests).toEqual([]);
  });
});

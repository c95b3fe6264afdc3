// docs/architecture.md is the map a newcomer reads after the README, so it must stay true to
// the tree: a row for every top-level folder, no row for a folder that does not exist, and the
// same "who may import whom" as the lint rule that enforces it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALLOWED } from './eslint/import-boundaries.js';

const root = path.resolve(import.meta.dirname, '..');
const MAP = 'docs/architecture.md';
const TABLE_HEADING = '## Layout and who may import whom';
/** Never part of the map: build output and installed packages (dot-dirs are skipped too). */
const UNMAPPED = new Set(['node_modules', 'dist', 'coverage']);

/** Tracked files, or every file when this is not a git checkout. */
function repoFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter(Boolean);
  } catch {
    const walk = (dir: string): string[] =>
      readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = dir ? `${dir}/${e.name}` : e.name;
        if (e.isDirectory()) return e.name.startsWith('.') || UNMAPPED.has(e.name) ? [] : walk(rel);
        return [rel];
      });
    return walk('');
  }
}

function topLevelFolders(files: string[]): string[] {
  const dirs = files.filter((f) => f.includes('/')).map((f) => f.split('/')[0] as string);
  return [...new Set(dirs)].filter((d) => !d.startsWith('.') && !UNMAPPED.has(d)).sort();
}

interface Row {
  folder: string;
  owns: string;
  mayImport: string;
}

/** The rows of the table under TABLE_HEADING: `folder/` | owns | may import. */
function parseLayoutTable(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === TABLE_HEADING);
  if (start < 0) throw new Error(`${MAP} has no "${TABLE_HEADING}" section`);
  const from = lines.findIndex((l, i) => i > start && l.startsWith('|'));
  const table: string[] = [];
  for (let i = from; i >= 0 && i < lines.length && lines[i]?.startsWith('|'); i++) table.push(lines[i] as string);
  const cells = (l: string) => l.slice(1, l.endsWith('|') ? -1 : undefined).split('|').map((c) => c.trim());
  const [header, , ...body] = table;
  expect(cells(header ?? '')).toEqual(['folder', 'owns', 'may import']);
  return body.map((l) => {
    const [folderCell = '', owns = '', mayImport = ''] = cells(l);
    const m = /^`([a-z][a-z0-9-]*(?:\/[a-z][a-z0-9-]*)*)\/`$/.exec(folderCell);
    if (!m) throw new Error(`${MAP}: the first cell of a layout row names one folder as \`name/\`, got ${folderCell}`);
    return { folder: m[1] as string, owns, mayImport };
  });
}

/** Top-level folders named as `name/` in a cell (`runtime/cri.ts` or `runtime/fake/` are not). */
function foldersIn(cell: string): string[] {
  return [...cell.matchAll(/`([a-z][a-z0-9-]*)\/`/g)].map((m) => m[1] as string);
}

/** GitHub's anchor for a heading. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

describe('docs/architecture.md', () => {
  const markdown = readFileSync(path.join(root, MAP), 'utf8');
  const rows = parseLayoutTable(markdown);
  const byFolder = new Map(rows.map((r) => [r.folder, r]));
  const files = repoFiles();

  it('has one row for every top-level folder of the repository', () => {
    const folders = topLevelFolders(files);
    expect(folders).toContain('api');
    expect(folders.filter((f) => !byFolder.has(f))).toEqual([]);
    expect(rows.length).toBe(byFolder.size); // no folder twice
  });

  it('has no row for a folder that does not exist', () => {
    expect(rows.map((r) => r.folder).filter((f) => !(existsSync(path.join(root, f)) && statSync(path.join(root, f)).isDirectory()))).toEqual([]);
    for (const r of rows) expect({ folder: r.folder, owns: r.owns.length > 0 }).toEqual({ folder: r.folder, owns: true });
  });

  it('names the same folders as the import-boundary rule, with the same imports', () => {
    const sorted = (xs: string[], self: string) => [...new Set(xs)].filter((x) => x !== self).sort();
    const fromRule = Object.fromEntries(Object.entries(ALLOWED).map(([f, to]) => [f, sorted(to, f)]));
    const fromMap = Object.fromEntries(
      rows.filter((r) => r.folder in ALLOWED).map((r) => [r.folder, sorted(foldersIn(r.mayImport), r.folder)]),
    );
    expect(fromMap).toEqual(fromRule);
  });

  it('gives folders outside the rule no imports, and leaves no TypeScript folder outside the rule', () => {
    for (const r of rows.filter((row) => !(row.folder in ALLOWED))) {
      expect({ folder: r.folder, mayImport: foldersIn(r.mayImport) }).toEqual({ folder: r.folder, mayImport: [] });
    }
    // The rule ignores files in folders it does not list, so a folder of TypeScript must be in it.
    const tsFolders = [...new Set(files.filter((f) => f.includes('/') && f.endsWith('.ts')).map((f) => f.split('/')[0] as string))];
    expect(tsFolders.filter((f) => !(f in ALLOWED))).toEqual([]);
  });

  it("states the kubelet's narrower door into the runtime", () => {
    expect(byFolder.get('kubelet')?.mayImport).toContain('`runtime/cri.ts` only');
  });

  it('links only to README sections that exist, and the README links it', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const anchors = new Set(readme.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => anchorOf(l.replace(/^#+ /, ''))));
    const links = [...markdown.matchAll(/\]\(\.\.\/README\.md#([^)]+)\)/g)].map((m) => m[1] as string);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((a) => !anchors.has(a))).toEqual([]);
    expect(readme).toContain('(docs/architecture.md)');
  });
});

describe('the layout table parser', () => {
  it('reads folder names, and only top-level folders among the imports', () => {
    const md = `${TABLE_HEADING}\n\n| folder | owns | may import |\n|---|---|---|\n| \`kubelet/\` | pods | \`api/\`, \`runtime/\` through \`runtime/cri.ts\` only (and \`runtime/fake/\` in tests) |\n| \`cli/node/\` | node verbs | \`runtime/\` |\n\nafter\n`;
    const rows = parseLayoutTable(md);
    expect(rows.map((r) => r.folder)).toEqual(['kubelet', 'cli/node']);
    expect(foldersIn(rows[0]?.mayImport ?? '')).toEqual(['api', 'runtime']);
  });
});

// Before anything is sent: every file parsed, every object mapped to a served kind, its
// namespace settled and (unless --validate=false) checked against the schema. A file with
// any problem contributes nothing and yields one error line naming file, line and column.
import type { KubeObject } from '../../api/types/meta.js';
import { CliError } from '../errors.js';
import { loadManifests, type Manifest, type LoadOptions } from './manifests.js';
import { targetOf, type Target } from './apply-object.js';
import { validateObject } from './validate.js';

export interface PlannedObject {
  manifest: Manifest;
  object: KubeObject;
  target: Target;
}

export interface Plan {
  objects: PlannedObject[];
  /** One line each, without the "error: " prefix. */
  errors: string[];
}

export type Validation = 'strict' | 'warn' | 'ignore';

export function parseValidate(v: string | boolean | undefined): Validation {
  if (v === undefined || v === true || v === 'true' || v === 'strict') return 'strict';
  if (v === false || v === 'false' || v === 'ignore') return 'ignore';
  if (v === 'warn') return 'warn';
  throw new CliError(`invalid --validate value "${String(v)}": use strict, warn, ignore, true or false`);
}

function where(m: Manifest, field?: string): string {
  const pos = (field ? m.locate(field) : undefined) ?? m.position;
  return `${m.source}:${pos.line}:${pos.col}`;
}

export async function planApply(
  files: string[],
  options: LoadOptions & { namespace: string; explicitNamespace: boolean; validate: Validation; needName?: boolean; warn?: (line: string) => void },
): Promise<Plan> {
  if (files.length === 0) throw new CliError('must specify -f FILE (a file, a directory, or - for stdin)');
  const loaded = await loadManifests(files, options);
  const plan: Plan = { objects: [], errors: [] };
  for (const file of loaded) {
    if (file.error) {
      plan.errors.push(file.error);
      continue;
    }
    const planned: PlannedObject[] = [];
    let failed = false;
    for (const m of file.manifests) {
      try {
        const target = targetOf(m.object, { namespace: options.namespace, explicit: options.explicitNamespace }, options.needName ?? true);
        if (options.validate !== 'ignore') {
          const problems = validateObject(m.object);
          const first = problems[0];
          if (first && options.validate === 'strict') {
            const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
            throw new CliError(`${where(m, first.field)}: error validating ${target.ref}: ${first.field}: ${first.message}${more}; turn validation off with --validate=false`);
          }
          for (const p of problems) options.warn?.(`Warning: ${where(m, p.field)}: ${p.field}: ${p.message}`);
        }
        planned.push({ manifest: m, object: m.object, target });
      } catch (err) {
        const msg = (err as Error).message;
        plan.errors.push(msg.startsWith(m.source) ? msg : `${where(m)}: ${msg}`);
        failed = true;
        break;
      }
    }
    if (!failed) plan.objects.push(...planned);
  }
  return plan;
}

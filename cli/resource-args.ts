// kubectl's ways of naming what a verb acts on: "pods", "po,no", "pod kuard web",
// "pod/kuard node/n1", "leases.coordination.k8s.io", with the kind's short names.
import { findResource, type ResourceInfo } from '../api/resources.js';
import { CliError } from './errors.js';

export interface ResourceRequest {
  info: ResourceInfo;
  /** Empty: every object (list). */
  names: string[];
}

/** "pods", "po", "Pod", "leases.coordination.k8s.io" -> the resource, or an error naming it. */
export function resolveResource(type: string): ResourceInfo {
  let info = findResource(type);
  const dot = type.indexOf('.');
  if (!info && dot > 0) info = findResource(type.slice(0, dot), type.slice(dot + 1));
  if (!info) throw new CliError(`the server doesn't have a resource type "${type}"`);
  return info;
}

export function parseResourceArgs(args: string[], verb = 'get'): ResourceRequest[] {
  if (args.length === 0) {
    throw new CliError(
      verb === 'get'
        ? 'You must specify the type of resource to get. Use "skiff api-resources" for a complete list of supported resources.'
        : `You must provide one or more resources by argument or filename to ${verb}.`,
    );
  }
  const first = args[0] as string;
  if (args.some((a) => a.includes('/'))) {
    // TYPE/NAME form: every argument must use it.
    const out: ResourceRequest[] = [];
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash <= 0 || slash === a.length - 1) throw new CliError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'skiff ${verb} resource/<resource_name>' instead of 'skiff ${verb} resource resource/<resource_name>')`);
      const info = resolveResource(a.slice(0, slash));
      const name = a.slice(slash + 1);
      const existing = out.find((r) => r.info === info);
      if (existing) existing.names.push(name);
      else out.push({ info, names: [name] });
    }
    return out;
  }
  const types = first.split(',').filter(Boolean).map(resolveResource);
  const names = args.slice(1);
  if (names.length > 0 && types.length > 1) throw new CliError('you must specify only one resource type when naming objects');
  return types.map((info) => ({ info, names }));
}

// skiff api-resources: the resources skiff serves, with their short names (the same table the
// API server's discovery is built from, metrics.k8s.io's included).
import { Command } from 'commander';
import { apiVersionOf, SERVED_RESOURCES } from '../../api/resources.js';
import { renderTable } from '../printers/table.js';
import { runLocal } from '../verb.js';

export function apiResourcesTable(): string {
  const rows = [...SERVED_RESOURCES]
    .sort((a, b) => (a.plural !== b.plural ? (a.plural < b.plural ? -1 : 1) : a.group < b.group ? -1 : a.group > b.group ? 1 : 0))
    .map((r) => [r.plural, r.shortNames.join(','), apiVersionOf(r), String(r.namespaced), r.kind]);
  return renderTable({ headers: ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'], rows });
}

export function apiResourcesCommand(): Command {
  return new Command('api-resources')
    .description('Print the supported resource types, with short names and API versions')
    .action(async () => runLocal((io) => void io.stdout.write(apiResourcesTable())));
}

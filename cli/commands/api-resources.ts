// skiff api-resources: the kinds skiff serves, with their short names (the same table the
// API server's discovery is built from).
import { Command } from 'commander';
import { apiVersionOf, RESOURCES } from '../../api/resources.js';
import { renderTable } from '../printers/table.js';
import { runLocal } from '../verb.js';

export function apiResourcesTable(): string {
  const rows = [...RESOURCES]
    .sort((a, b) => (a.plural < b.plural ? -1 : 1))
    .map((r) => [r.plural, r.shortNames.join(','), apiVersionOf(r), String(r.namespaced), r.kind]);
  return renderTable({ headers: ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'], rows });
}

export function apiResourcesCommand(): Command {
  return new Command('api-resources')
    .description('Print the supported resource types, with short names and API versions')
    .action(async () => runLocal((io) => void io.stdout.write(apiResourcesTable())));
}

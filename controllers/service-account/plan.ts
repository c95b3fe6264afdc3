// What the ServiceAccount controller wants to exist in one namespace, from plain records
// (kube-controller-manager's serviceaccounts-controller): the `default` ServiceAccount in an
// Active namespace. A terminating namespace gets nothing new: its content is going away and
// the API server refuses creates in it anyway.
import { DEFAULT_SERVICE_ACCOUNT } from '../../api/kinds/serviceaccount.js';
import type { Namespace } from '../../api/types/core.js';

/** The ServiceAccounts every namespace has. */
export const ENSURED_SERVICE_ACCOUNTS: readonly string[] = [DEFAULT_SERVICE_ACCOUNT];

/** The names of the ServiceAccounts to create in `ns`, given which of them exist. */
export function serviceAccountsToCreate(ns: Namespace | undefined, exists: (name: string) => boolean): string[] {
  if (!ns || ns.metadata.deletionTimestamp || (ns.status?.phase ?? 'Active') !== 'Active') return [];
  return ENSURED_SERVICE_ACCOUNTS.filter((name) => !exists(name));
}

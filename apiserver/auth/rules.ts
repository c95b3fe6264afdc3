// What a user may do, listed from the rules the authorizer decides by (authorize.ts), for
// SelfSubjectRulesReview (`kubectl auth can-i --list`). A node's grants that depend on the
// object (a pod bound to it, an object its pods name, a selector pinned to it) cannot be
// listed: the answer says incomplete, as Kubernetes' Node authorizer does.
import { roleRulesOf, nodeRules, nonResourceRulesOf, type NonResourceRule, type Rule } from './authorize.js';
import { MASTERS_GROUP, nodeNameOf, type UserInfo } from './user.js';

/** authorization.k8s.io/v1 ResourceRule */
export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface UserRules {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  incomplete: boolean;
  evaluationError?: string;
}

const EVERYTHING: UserRules = {
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
  incomplete: false,
};

function listed(r: Rule): ResourceRule {
  return { verbs: [...r.verbs], apiGroups: [...r.apiGroups], resources: [...r.resources], ...(r.names ? { resourceNames: [...r.names] } : {}) };
}

/** The rules that hold in `namespace` (a rule bound to other namespaces is left out; "" lists cluster-wide rules only). */
export function rulesFor(user: UserInfo, namespace: string): UserRules {
  if (user.groups.includes(MASTERS_GROUP)) return EVERYTHING;
  const inScope = (r: Rule) => !r.namespaces || r.namespaces.includes(namespace);
  const nonResourceRules = nonResourceRulesOf(user);
  const node = nodeNameOf(user);
  const own = roleRulesOf(user).filter(inScope).map(listed);
  if (node === undefined) return { resourceRules: own, nonResourceRules, incomplete: false };
  const rules = nodeRules(node).filter(inScope);
  const decidedOnObjects = rules.some((r) => r.requires !== undefined);
  return {
    resourceRules: [...own, ...rules.filter((r) => r.requires === undefined).map(listed)],
    nonResourceRules,
    incomplete: decidedOnObjects,
    ...(decidedOnObjects ? { evaluationError: `node "${node}": access to pods bound to it, the objects they name, and lists pinned to it is decided on the objects and not listed` } : {}),
  };
}

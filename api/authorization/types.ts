// authorization.k8s.io/v1's access and rules reviews and authentication.k8s.io's
// SelfSubjectReview (k8s.io/api authorization/v1, authentication/v1): questions put to the
// authorizer and authenticator, answered on each request and never stored, so no kind
// declaration in api/kinds/, no schema, no watch. Their resource rows are served beside the
// stored kinds (resources.ts SERVED_RESOURCES); apiserver/handlers/reviews.ts answers them.
import type { ResourceInfo } from '../resources.js';
import type { ObjectMeta } from '../types/meta.js';

export const AUTHORIZATION_GROUP = 'authorization.k8s.io';
export const AUTHENTICATION_GROUP = 'authentication.k8s.io';

/** Create only, cluster-scoped, as kube-apiserver registers them. */
function row(group: string, version: string, kind: string): ResourceInfo {
  const singular = kind.toLowerCase();
  return { group, version, kind, listKind: `${kind}List`, plural: `${singular}s`, singular, namespaced: false, shortNames: [], verbs: ['create'], subresources: [] };
}

// SelfSubjectReview is v1 since Kubernetes 1.28; kubectl 1.27's `auth whoami` asks v1beta1.
export const REVIEW_RESOURCES: readonly ResourceInfo[] = [
  row(AUTHORIZATION_GROUP, 'v1', 'SelfSubjectAccessReview'),
  row(AUTHORIZATION_GROUP, 'v1', 'SelfSubjectRulesReview'),
  row(AUTHORIZATION_GROUP, 'v1', 'SubjectAccessReview'),
  row(AUTHENTICATION_GROUP, 'v1', 'SelfSubjectReview'),
  row(AUTHENTICATION_GROUP, 'v1beta1', 'SelfSubjectReview'),
];

export interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

export interface NonResourceAttributes {
  path?: string;
  verb?: string;
}

/** SelfSubjectAccessReviewSpec; SubjectAccessReviewSpec adds whom it asks about. */
export interface AccessReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: NonResourceAttributes;
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface SubjectAccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

export interface UserInfoStatus {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface Review<Spec, Status> {
  kind: string;
  apiVersion: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
}

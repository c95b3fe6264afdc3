// The protobuf messages (k8s.io/api authorization/v1 and authentication/v1 generated.proto
// field numbers) of the reviews kubectl 1.33 posts as protobuf: `auth can-i`'s
// SelfSubjectAccessReview, `auth can-i --list`'s SelfSubjectRulesReview and `auth whoami`'s
// SelfSubjectReview, each with the zero status Go writes (read, then ignored by the handler).
import type { Message } from './protobuf-body.js';

export function authorizationMessages(objectMeta: Message): Record<string, Message> {
  const resourceAttributes: Message = {
    name: 'ResourceAttributes',
    fields: { 1: ['namespace', 'string'], 2: ['verb', 'string'], 3: ['group', 'string'], 4: ['version', 'string'], 5: ['resource', 'string'], 6: ['subresource', 'string'], 7: ['name', 'string'] },
  };
  const nonResourceAttributes: Message = { name: 'NonResourceAttributes', fields: { 1: ['path', 'string'], 2: ['verb', 'string'] } };
  const accessStatus: Message = { name: 'SubjectAccessReviewStatus', fields: { 1: ['allowed', 'flag'], 2: ['reason', 'string'], 3: ['evaluationError', 'string'], 4: ['denied', 'flag'] } };
  const ssar: Message = {
    name: 'SelfSubjectAccessReview',
    fields: { 1: ['metadata', objectMeta], 2: ['spec', { name: 'SelfSubjectAccessReviewSpec', fields: { 1: ['resourceAttributes', resourceAttributes], 2: ['nonResourceAttributes', nonResourceAttributes] } }], 3: ['status', accessStatus] },
  };
  const rulesStatus: Message = {
    name: 'SubjectRulesReviewStatus',
    fields: {
      1: ['resourceRules', { list: { name: 'ResourceRule', fields: { 1: ['verbs', 'strings'], 2: ['apiGroups', 'strings'], 3: ['resources', 'strings'], 4: ['resourceNames', 'strings'] } } }],
      2: ['nonResourceRules', { list: { name: 'NonResourceRule', fields: { 1: ['verbs', 'strings'], 2: ['nonResourceURLs', 'strings'] } } }],
      3: ['incomplete', 'flag'],
      4: ['evaluationError', 'string'],
    },
  };
  const ssrr: Message = { name: 'SelfSubjectRulesReview', fields: { 1: ['metadata', objectMeta], 2: ['spec', { name: 'SelfSubjectRulesReviewSpec', fields: { 1: ['namespace', 'string'] } }], 3: ['status', rulesStatus] } };
  const userInfo: Message = { name: 'UserInfo', fields: { 1: ['username', 'string'], 2: ['uid', 'string'], 3: ['groups', 'strings'] } };
  const ssr: Message = { name: 'SelfSubjectReview', fields: { 1: ['metadata', objectMeta], 2: ['status', { name: 'SelfSubjectReviewStatus', fields: { 1: ['userInfo', userInfo] } }] } };
  return {
    'authorization.k8s.io/v1/SelfSubjectAccessReview': ssar,
    'authorization.k8s.io/v1/SelfSubjectRulesReview': ssrr,
    'authentication.k8s.io/v1/SelfSubjectReview': ssr,
    'authentication.k8s.io/v1beta1/SelfSubjectReview': ssr,
  };
}

// One error family for the API: an ApiError carries a Kubernetes Status (reason, code,
// message, causes). Handlers throw them; the HTTP edge turns them into `kind: Status`
// bodies, and the client turns a Status body back into an ApiError.
import type { Status, StatusCause, StatusDetails, StatusReason } from './types/meta.js';

export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details?: StatusDetails;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }

  static fromStatus(status: Partial<Status>, fallbackCode = 500): ApiError {
    return new ApiError(status.code ?? fallbackCode, status.reason ?? 'Unknown', status.message ?? 'unknown error', status.details);
  }
}

export function isApiError(e: unknown, reason?: StatusReason): e is ApiError {
  return e instanceof ApiError && (reason === undefined || e.reason === reason);
}

/** errors.HasStatusCause(err, NamespaceTerminatingCause): a create refused because its namespace is being deleted. */
export function isNamespaceTerminating(e: unknown): boolean {
  return isApiError(e, 'Forbidden') && (e.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

/** "pods" + group "" -> "pods"; "leases" + "coordination.k8s.io" -> "leases.coordination.k8s.io" (kube's qualified resource). */
function qualified(resource: string, group?: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  unauthorized: (message = 'Unauthorized') => new ApiError(401, 'Unauthorized', message),
  forbidden: (user: string, verb: string, resource: string, name: string | undefined, group?: string, message?: string) =>
    new ApiError(
      403,
      'Forbidden',
      `${qualified(resource, group)}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group ?? ''}"${message ? `: ${message}` : ''}`,
      { name, group, kind: resource },
    ),
  notFound: (resource: string, name: string, group?: string) =>
    new ApiError(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, { name, group, kind: resource }),
  alreadyExists: (resource: string, name: string, group?: string) =>
    new ApiError(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, { name, group, kind: resource }),
  conflict: (resource: string, name: string, message: string, group?: string) =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${message}`, { name, group, kind: resource }),
  gone: (message: string) => new ApiError(410, 'Expired', message),
  invalid: (kind: string, name: string, causes: StatusCause[], group?: string) =>
    new ApiError(
      422,
      'Invalid',
      `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')}`,
      { name, group, kind, causes },
    ),
  methodNotAllowed: (message: string) => new ApiError(405, 'MethodNotAllowed', message),
  notAcceptable: (message: string) => new ApiError(406, 'NotAcceptable', message),
  unsupportedMediaType: (message: string) => new ApiError(415, 'UnsupportedMediaType', message),
  tooLarge: (message: string) => new ApiError(413, 'RequestEntityTooLarge', message),
  timeout: (message: string) => new ApiError(504, 'Timeout', message),
  /** 503 with a Retry-After (details.retryAfterSeconds, sent as the header too), as kube-apiserver answers while its store is down. */
  unavailable: (message: string, retryAfterSeconds = 1) => new ApiError(503, 'ServiceUnavailable', message, { retryAfterSeconds }),
  internal: (message: string, cause?: unknown) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, undefined, { cause }),
};

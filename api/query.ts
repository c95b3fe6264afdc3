// Query parameters read as Kubernetes' parameter codec reads them, for the API server and the
// kubelet alike.

/**
 * A boolean parameter (watch, follow, stdin, force, ...), as Convert_Slice_string_To_bool reads
 * it: absent is false; "0" and "false" in any case are false; anything else, a bare `?name`
 * included, is true.
 */
export function queryBool(v: unknown): boolean {
  // A parameter given twice counts by its first value, as in Kubernetes.
  const first: unknown = Array.isArray(v) ? v[0] : v;
  if (typeof first !== 'string') return false;
  return first !== '0' && first.toLowerCase() !== 'false';
}

// The two time shapes of the Kubernetes wire. metav1.Time marshals with Go's time.RFC3339,
// which drops the fraction (truncating, not rounding): "2026-12-07T18:00:00Z". metav1.MicroTime
// (a Lease's acquireTime/renewTime, an events.k8s.io Event's eventTime) keeps six digits:
// "2026-12-07T18:00:00.123000Z". Every status, condition and timestamp skiff writes goes
// through one of these, so a client comparing or re-sending times sees what Kubernetes sends.

/** metav1.Time: RFC 3339 to the whole second. `at` is ms since the epoch or a Date. */
export function metaTime(at: number | Date): string {
  return `${new Date(at).toISOString().slice(0, 19)}Z`;
}

/** metav1.MicroTime: RFC 3339 with microseconds (JavaScript clocks give milliseconds, so the last three digits are 0). */
export function microTime(at: number | Date): string {
  return `${new Date(at).toISOString().slice(0, 23)}000Z`;
}

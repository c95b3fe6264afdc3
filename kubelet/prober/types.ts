// Shared probe vocabulary.
export type ProbeType = 'liveness' | 'readiness' | 'startup';

export type ProbeResult = 'Success' | 'Failure';

export interface ProbeOutcome {
  result: ProbeResult;
  /** Body, command output or error: shown in the Unhealthy event. */
  output: string;
}

/** Kubernetes' defaults for unset probe fields. */
export const PROBE_DEFAULTS = {
  initialDelaySeconds: 0,
  timeoutSeconds: 1,
  periodSeconds: 10,
  successThreshold: 1,
  failureThreshold: 3,
} as const;

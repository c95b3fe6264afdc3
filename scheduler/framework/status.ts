// Plugin results as values, as in Kubernetes' framework: a code, the reasons a user reads in
// the pod's events, and the plugin that said it. Plugins return these instead of throwing.

export type Code = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Wait' | 'Skip';

export class Status {
  readonly code: Code;
  readonly reasons: readonly string[];
  /** The plugin that returned it (set by the runner). */
  plugin: string;
  readonly error?: unknown;

  constructor(code: Code, reasons: readonly string[] = [], plugin = '', error?: unknown) {
    this.code = code;
    this.reasons = reasons;
    this.plugin = plugin;
    this.error = error;
  }

  isSuccess(): boolean {
    return this.code === 'Success';
  }

  /** Unschedulable or UnschedulableAndUnresolvable: the pod does not fit, no error happened. */
  isRejected(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable';
  }

  message(): string {
    return this.reasons.join(', ');
  }

  withPlugin(plugin: string): Status {
    // Success is a shared value and names no plugin.
    if (!this.plugin && this.code !== 'Success') this.plugin = plugin;
    return this;
  }
}

const SUCCESS = new Status('Success');

export const success = (): Status => SUCCESS;
export const unschedulable = (...reasons: string[]): Status => new Status('Unschedulable', reasons);
export const unresolvable = (...reasons: string[]): Status => new Status('UnschedulableAndUnresolvable', reasons);
export const skip = (): Status => new Status('Skip');
export const errorStatus = (err: unknown): Status =>
  new Status('Error', [err instanceof Error ? err.message : String(err)], '', err);

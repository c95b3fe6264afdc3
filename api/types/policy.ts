// policy/v1 PodDisruptionBudget and Eviction: how many of a set of pods may be down at once
// for a voluntary disruption, and the request (pods/eviction) that honours it.
import type { IntOrString } from './core.js';
import type { DeleteOptions, KubeObject, LabelSelector, ObjectMeta } from './meta.js';

export interface PodDisruptionBudgetSpec {
  minAvailable?: IntOrString;
  selector?: LabelSelector;
  maxUnavailable?: IntOrString;
  unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow';
}

/** metav1.Condition: the shape of a condition in the newer kinds (policy/v1, apps' none). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface PodDisruptionBudgetStatus {
  observedGeneration?: number;
  /** Pod name → when the API server admitted its eviction, until the controller sees it go. */
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: Condition[];
}

export interface PodDisruptionBudget extends KubeObject {
  apiVersion?: 'policy/v1';
  kind?: 'PodDisruptionBudget';
  metadata: ObjectMeta;
  spec?: PodDisruptionBudgetSpec;
  status?: PodDisruptionBudgetStatus;
}

export interface Eviction extends KubeObject {
  apiVersion?: 'policy/v1' | 'policy/v1beta1';
  kind?: 'Eviction';
  metadata: ObjectMeta;
  deleteOptions?: DeleteOptions;
}

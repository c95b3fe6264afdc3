// GET /stats/summary of a kubelet: the Summary API (k8s.io/kubelet/pkg/apis/stats/v1alpha1)
// cut down to what `skiff top` needs. Written by kubelet/server/stats-summary.ts, read by
// cli/top through the API server's node proxy.

export interface CpuStats {
  time: string;
  /** A rate; absent on a container's or node's first sample when no earlier one exists. */
  usageNanoCores?: number;
  usageCoreNanoSeconds: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes: number;
  rssBytes?: number;
}

export interface ContainerSummary {
  name: string;
  startTime?: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface PodSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime?: string;
  containers: ContainerSummary[];
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface NodeSummary {
  nodeName: string;
  startTime?: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
  runtime?: { imageFs?: { time: string; usedBytes: number; inodesUsed: number } };
}

export interface Summary {
  node: NodeSummary;
  pods: PodSummary[];
}

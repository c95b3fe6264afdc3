// kubectl top's numbers: CPU as whole millicores ("250m", rounded up as Quantity.MilliValue
// does), memory as whole mebibytes ("64Mi"), and a node's share of its allocatable as an
// integer percentage.

export function formatCpu(nanoCores: number): string {
  return `${Math.ceil(nanoCores / 1e6)}m`;
}

export function formatMemory(bytes: number): string {
  return `${Math.floor(bytes / (1024 * 1024))}Mi`;
}

export function percent(used: number, allocatable: number | undefined): string {
  if (!allocatable || allocatable <= 0) return '<unknown>';
  return `${Math.floor((used * 100) / allocatable)}%`;
}

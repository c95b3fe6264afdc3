// The in-tree plugins, by the names profiles use (Kubernetes' names).
import { Registry } from '../framework/registry.js';
import { BalancedAllocation, type BalancedAllocationArgs } from './balanced-allocation/balanced-allocation.js';
import { DefaultBinder } from './default-binder/default-binder.js';
import { ImageLocality } from './image-locality/image-locality.js';
import { NodeAffinity } from './node-affinity/node-affinity.js';
import { NodeName } from './node-name/node-name.js';
import { NodePorts } from './node-ports/node-ports.js';
import { NodeResourcesFit, type NodeResourcesFitArgs } from './node-resources-fit/node-resources-fit.js';
import { NodeUnschedulable } from './node-unschedulable/node-unschedulable.js';
import { TaintToleration } from './taint-toleration/taint-toleration.js';

export function inTreeRegistry(): Registry {
  return new Registry({
    NodeUnschedulable: () => new NodeUnschedulable(),
    NodeName: () => new NodeName(),
    TaintToleration: () => new TaintToleration(),
    NodeAffinity: () => new NodeAffinity(),
    NodePorts: () => new NodePorts(),
    NodeResourcesFit: (args) => new NodeResourcesFit((args ?? {}) as NodeResourcesFitArgs),
    BalancedAllocation: (args) => new BalancedAllocation((args ?? {}) as BalancedAllocationArgs),
    ImageLocality: (_args, ctx) => new ImageLocality(ctx.handle),
    DefaultBinder: (_args, ctx) => {
      if (!ctx.binder) throw new Error('DefaultBinder needs a binder (the API client)');
      return new DefaultBinder(ctx.binder);
    },
  });
}

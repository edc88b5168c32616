import { scalar } from '../f64-tensor.ts';
import { input, type Kernel } from '../op-kernel.ts';

export const CONTROL_FLOW_OPS: Readonly<Record<string, Kernel>> = {
  /** If: runs then_branch or else_branch in the node's scope; its outputs are the branch's. */
  If: (inputs, node, ctx) => {
    const cond = scalar(input(inputs, 0, node), `If ${node.name}`) !== 0;
    return ctx.runSubgraph(node.graph(cond ? 'then_branch' : 'else_branch'));
  },
};

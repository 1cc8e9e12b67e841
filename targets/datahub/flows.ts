/**
 * Each pipeline as a DataHub DataFlow, and each of its steps (the exit handler too) as a
 * DataJob of it, with the data flow the model holds: the datasets each step reads and
 * writes (`step.datasets`) and the steps it runs after (`dependsOn`). Tags become
 * globalTags; a `team:<name>` tag also makes that team (corpGroup) an owner.
 */
import type { Environment, Pipeline, Step } from '../../constructs/model/schema.ts';
import { globalTags, mcp, ownership, type Mcp } from './mcp.ts';
import { dataFlowUrn, dataJobUrn, datasetUrn, ownerUrn, tagUrn, type Fabric } from './urns.ts';

const pipelineOwners = (p: Pipeline) => p.tags.filter((t) => /^team:./s.test(t)).map(ownerUrn);

function jobMcps(p: Pipeline, step: Step, flow: string, fabric: Fabric, exitHandler: boolean): Mcp[] {
  const urn = dataJobUrn(flow, step.name);
  const reads = step.datasets?.reads ?? [];
  const writes = step.datasets?.writes ?? [];
  return [
    mcp('dataJob', urn, 'dataJobInfo', {
      customProperties: {
        'dfp.path': step.path,
        image: step.image,
        ...(step.transform !== undefined ? { 'dfp.transform': step.transform } : {}),
        ...(step.group !== undefined ? { 'dfp.group': step.group } : {}),
        ...(exitHandler ? { 'dfp.exit_handler': 'true' } : {}),
      },
      name: step.name,
      ...(step.description !== undefined ? { description: step.description } : {}),
      type: { string: 'COMMAND' },
      flowUrn: flow,
    }),
    mcp('dataJob', urn, 'dataJobInputOutput', {
      inputDatasets: reads.map((r) => datasetUrn(r, fabric)),
      outputDatasets: writes.map((w) => datasetUrn(w, fabric)),
      inputDatajobs: step.dependsOn.map((d) => dataJobUrn(flow, d)),
    }),
    ...ownership('dataJob', urn, pipelineOwners(p)),
  ];
}

/** Every MCP of one pipeline in one environment, unsorted. */
export function pipelineMcps(p: Pipeline, env: Environment, fabric: Fabric): Mcp[] {
  const flow = dataFlowUrn(env.orchestrator, p.name, fabric);
  return [
    mcp('dataFlow', flow, 'dataFlowInfo', {
      customProperties: {
        'dfp.path': p.path,
        'dfp.environment': env.name,
        namespace: env.namespace,
        ...(p.schedule ? { schedule: p.schedule.cron, timezone: p.schedule.timezone } : {}),
      },
      name: p.name,
      ...(p.description !== '' ? { description: p.description } : {}),
    }),
    ...ownership('dataFlow', flow, pipelineOwners(p)),
    ...globalTags('dataFlow', flow, p.tags.map(tagUrn)),
    ...p.steps.flatMap((s) => jobMcps(p, s, flow, fabric, false)),
    ...(p.exitHandler ? jobMcps(p, p.exitHandler, flow, fabric, true) : []),
  ];
}

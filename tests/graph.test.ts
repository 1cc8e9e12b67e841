/**
 * PipelineGraph, the one walk of a pipeline's nesting the orchestrator targets share:
 * checked on the control-flow fixture (a loop nested in a condition, loops over a
 * parameter and over a step's output, a step-level `when`, an exit handler).
 */
import { describe, expect, it } from 'vitest';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { artifactInputName, groupChain, inputNameFor, PipelineGraph } from '../constructs/model/graph.ts';
import { controlFlowApp } from './fixtures/control-flow.ts';
import { FIXTURE_LOCK } from './support/fixtures.ts';

const app = new DfpApp({ lockFile: FIXTURE_LOCK });
controlFlowApp(app);
const pipeline = buildModel(app).pipelines.find((p) => p.name === 'control-flow')!;
const graph = PipelineGraph.of(pipeline);

describe('PipelineGraph', () => {
  it('is built once per pipeline object', () => {
    expect(PipelineGraph.of(pipeline)).toBe(graph);
  });

  it('indexes steps and groups by name; the exit handler is not a step of the graph', () => {
    expect(graph.step('publish')?.path).toBe('control-flow/if-good/per-region/publish');
    expect(graph.step('cleanup')).toBeUndefined();
    expect(graph.step('nope')).toBeUndefined();
    expect(graph.group('per-region')?.kind).toBe('loop');
    expect(graph.group('if-good')?.kind).toBe('condition');
  });

  it('gives the chain of groups around a level, innermost first, as groupChain does', () => {
    expect(graph.chain('per-region')).toEqual(['per-region', 'if-good']);
    expect(graph.chain(undefined)).toEqual([]);
    expect(groupChain(pipeline.groups, 'per-region')).toEqual(['per-region', 'if-good']);
  });

  it('lists the members of a level', () => {
    const root = graph.members(undefined);
    expect(root.steps.map((s) => s.name)).toEqual(['prepare', 'report']);
    expect(root.groups.map((g) => g.name)).toEqual(['if-good', 'per-shard', 'per-output-shard']);
    const inGood = graph.members('if-good');
    expect(inGood.steps).toEqual([]);
    expect(inGood.groups.map((g) => g.name)).toEqual(['per-region']);
  });

  it('finds the member of a level that holds a step', () => {
    expect(graph.memberAt(undefined, 'publish')).toBe('if-good');
    expect(graph.memberAt('if-good', 'publish')).toBe('per-region');
    expect(graph.memberAt('per-region', 'publish')).toBe('publish');
    expect(graph.memberAt(undefined, 'prepare')).toBe('prepare');
    expect(graph.memberAt('per-shard', 'publish')).toBeUndefined();
    expect(graph.memberAt(undefined, 'unknown')).toBeUndefined();
  });

  it('lists the steps and groups within a group, nested ones included', () => {
    expect(graph.stepsWithin('if-good').map((s) => s.name)).toEqual(['publish']);
    expect(graph.stepsWithin('per-shard').map((s) => s.name)).toEqual(['process-shard']);
    expect(graph.groupsWithin('if-good').map((g) => g.name)).toEqual(['if-good', 'per-region']);
  });

  it('lists the values and artifacts entering a group from outside, once each, sorted by input name', () => {
    // The condition's operand (prepare's score) and what publish reads enter if-good; a
    // loop's own item enters the loop's template (Argo passes it in); pipeline parameters
    // are read as globals and never enter a group.
    expect(graph.valuesEntering('if-good').map(inputNameFor)).toEqual(['prepare_score']);
    expect(graph.valuesEntering('per-region').map(inputNameFor)).toEqual([
      'per_region_item_region',
      'per_region_item_size',
      'prepare_score',
    ]);
    expect(graph.valuesEntering('per-shard').map(inputNameFor)).toEqual(['per_shard_item']);
    expect(graph.artifactsEntering('if-good')).toEqual([{ step: 'prepare', output: 'data' }]);
    expect(graph.artifactsEntering('per-shard')).toEqual([]);
  });

  it('gives the loops around a step, innermost first', () => {
    expect(graph.loopsAround(graph.step('publish')!)).toEqual(['per-region']);
    expect(graph.loopsAround(graph.step('prepare')!)).toEqual([]);
  });

  it('walks groups parents first, then steps, each in model order', () => {
    const seen: string[] = [];
    graph.walk({ group: (g) => seen.push(`group:${g.name}`), step: (s) => seen.push(`step:${s.name}`) });
    expect(seen).toEqual([
      'group:if-good',
      'group:per-region',
      'group:per-shard',
      'group:per-output-shard',
      'step:prepare',
      'step:publish',
      'step:process-shard',
      'step:check-shard',
      'step:report',
    ]);
  });

  it('names inputs and artifact inputs in snake_case', () => {
    expect(inputNameFor({ kind: 'pipelineParam', name: 'mode' })).toBe('mode');
    expect(inputNameFor({ kind: 'taskOutput', step: 'process-shard', output: 'n' })).toBe('process_shard_n');
    expect(inputNameFor({ kind: 'loopItem', loop: 'per-region', field: 'size' })).toBe('per_region_item_size');
    expect(inputNameFor({ kind: 'loopItem', loop: 'per-shard' })).toBe('per_shard_item');
    expect(() => inputNameFor({ kind: 'literal', value: 1 })).toThrow(/literals/);
    expect(artifactInputName({ step: 'pre-pare', output: 'data' })).toBe('pre_pare_data');
  });
});

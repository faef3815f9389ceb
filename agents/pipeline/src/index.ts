/**
 * @portalis/pipeline: chains the agents, transpile -> validate -> test -> package, over many
 * items with a concurrency limit, as an rxjs stream of typed events ending in a summary.
 */
export { devKeyDir, ensureDevKey } from './dev-key.js';
export { discoverItems, PipelineConfigError, type PipelineItem, SOURCE_EXTENSIONS } from './items.js';
export {
  type ItemOutcome,
  type ItemStatus,
  type PipelineEvent,
  type PipelineOptions,
  type PipelineSummary,
  runPipeline,
  STAGES,
  type Stage,
} from './pipeline.js';

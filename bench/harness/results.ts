/** The shapes the benchmark processes print, and one measured row per tool and size. */

/** bench/dfp/inprocess.ts's output. */
export interface DfpInProcess {
  readonly pipelines: number;
  readonly steps: number;
  readonly files: number;
  readonly bytes: number;
  readonly startupMs: number;
  readonly constructMs: number;
  readonly modelMs: number;
  readonly renderMs: number;
  readonly writeMs: number;
  readonly totalMs: number;
  readonly totalCpuMs: number;
  readonly floorMs: number;
  readonly floorCpuMs: number;
  readonly packageFloorMs: number;
  readonly packageFloorCpuMs: number;
  readonly floorIdentical: boolean;
  readonly maxRssKb: number;
}

/** bench/python/run_peer.py's output. */
export interface PeerInProcess {
  readonly tool: string;
  readonly pipelines: number;
  readonly rendered: number;
  readonly steps: number;
  readonly bytes: number;
  readonly startupMs: number;
  readonly totalMs: number;
  readonly totalCpuMs: number;
  readonly maxRssKb: number;
}

/** One tool at one size: per-pipeline times after start-up, and the whole process. */
export interface Row {
  readonly tool: string;
  readonly n: number;
  /** How many of the n pipelines were rendered; fewer means the totals are extrapolated. */
  readonly rendered: number;
  readonly startupMs: number;
  readonly perPipelineMs: number;
  readonly perPipelineCpuMs: number;
  /** The whole process, exec to exit (extrapolated when rendered < n). */
  readonly processWallMs: number;
  readonly maxRssKb: number;
  readonly bytes: number;
}

// The messages a simulator worker posts to the thread that started it.
import type { ShardResult } from './shard.js';

export type WorkerMessage =
  | { type: 'progress'; simMs: number; events: number; heapUsed: number }
  | { type: 'done'; result: ShardResult; peakHeap: number };

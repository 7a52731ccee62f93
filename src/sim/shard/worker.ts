// Entry point of one simulator worker thread: runs the shard it is given
// (workerData: config and agent range), reports progress and its heap peak, and
// posts the shard's result. Any throw ends the thread with an 'error' the pool reports.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { SimConfig } from '../config.js';
import { runShard, type ShardRange, type SimEngine } from './shard.js';
import type { WorkerMessage } from './messages.js';

const { config, range, progressEvery, engine } = workerData as { config: SimConfig; range: ShardRange; progressEvery: number; engine: SimEngine };
const port = parentPort;
if (port === null) throw new Error('src/sim/shard/worker.ts runs only as a worker thread');

let peakHeap = 0;
const send = (message: WorkerMessage): void => port.postMessage(message);
const { result } = await runShard(config, range, {
  progressEvery,
  onProgress: (simMs, events) => {
    const used = getHeapStatistics().used_heap_size;
    if (used > peakHeap) peakHeap = used;
    send({ type: 'progress', simMs, events, heapUsed: used });
  },
}, engine);
peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
send({ type: 'done', result, peakHeap });

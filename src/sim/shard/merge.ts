// Adds up the shards of a run, in agent order: recorder cells (integers, so the sums
// are exact), fleet statistics and timer counts. The merged run is the same whatever
// the number of shards.
import { defaultBucketMs, serverFor, type SimConfig } from '../config.js';
import { Recorder } from '../metrics.js';
import { FleetTotals } from '../stats.js';
import type { ShardResult } from './shard.js';

export interface MergedRun {
  recorder: Recorder;
  fleet: FleetTotals;
  /** Timer events of the whole run: every agent's, plus the shared ones once. */
  events: number;
}

export function mergeShards(config: SimConfig, shards: readonly ShardResult[]): MergedRun {
  const totalServers = config.servers + (config.extraServers ?? 0);
  const recorder = new Recorder(
    Array.from({ length: totalServers }, (_, i) => serverFor(i).name),
    config.bucketMs ?? defaultBucketMs(config.durationMs),
    config.durationMs,
  );
  const fleet = new FleetTotals();
  let events = 0;
  const ordered = [...shards].sort((a, b) => a.range.first - b.range.first);
  let next = 0;
  for (const shard of ordered) {
    if (shard.range.first !== next) throw new RangeError(`shards do not cover agents [0, ${config.agents}) in order: expected first ${next}, received ${shard.range.first}`);
    next += shard.range.count;
    recorder.add(shard.recorder);
    fleet.merge(shard.fleet);
    events += shard.agentEvents;
  }
  if (next !== config.agents) throw new RangeError(`shards cover ${next} agents, expected ${config.agents}`);
  events += ordered[0]?.sharedEvents ?? 0;
  return { recorder, fleet, events };
}

// The state syncer machine's environment for one StateSyncer: the fixed intervals,
// time and randomness, a cluster size that never throws, and the user's sync calls
// (through the SyncRunner). One object with prototype methods instead of a closure
// per function: a fleet simulation holds 100,000 of these.
import type { StateSyncerEnv } from '../../machines/stateSyncer.machine.js';
import { clockNow, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { scaleFactor } from '../shared/stagger.js';
import { ClusterSizeReader } from '../shared/clusterSize.js';
import { SyncRunner, type SyncRunnerHost, type SyncState } from './syncRunner.js';

export interface SyncerEnvSettings {
  interval: number;
  serverUpInterval: number;
  retryFailInterval: number;
  syncTimeout: number | undefined;
  clusterSize: () => number;
  random: () => number;
  clock: Clock;
}

export class SyncerEnv implements StateSyncerEnv, SyncRunnerHost {
  readonly interval: number;
  readonly serverUpInterval: number;
  readonly retryFailInterval: number;
  readonly runner: SyncRunner;
  /** Clock time the last sync was invoked (for durations in events). */
  syncStartedAt = 0;
  private readonly clock: Clock;
  private readonly clusterSizeReader: ClusterSizeReader;
  private readonly randomFn: () => number;

  constructor(
    settings: SyncerEnvSettings,
    state: SyncState,
    private readonly owner: { readonly paused: boolean },
    private readonly log: () => Logger,
  ) {
    this.interval = settings.interval;
    this.serverUpInterval = settings.serverUpInterval;
    this.retryFailInterval = settings.retryFailInterval;
    this.clock = settings.clock;
    this.clusterSizeReader = new ClusterSizeReader(settings.clusterSize, (details) =>
      this.log().warn(details, 'clusterSize() failed or returned an invalid value; using 1 (logged once)'),
    );
    this.randomFn = settings.random;
    this.runner = new SyncRunner(state, settings.clock, settings.syncTimeout, this);
  }

  syncFull(signal: AbortSignal): Promise<void> {
    this.syncStartedAt = this.now();
    return this.runner.run('syncFull', signal);
  }

  syncChanges(signal: AbortSignal): Promise<void> {
    this.syncStartedAt = this.now();
    return this.runner.run('syncChanges', signal);
  }

  now(): number {
    return clockNow(this.clock);
  }

  random(): number {
    return this.randomFn();
  }

  /** `floor(random() × scaleFactor(clusterSize()) × ms)`: Consul agent/ae/ae.go's staggerFn. */
  stagger(ms: number): number {
    if (!(ms > 0)) return 0;
    return Math.floor(this.randomFn() * scaleFactor(this.clusterSize()) * ms);
  }

  /** clusterSize() comes from outside: a throw or nonsense counts as 1 node, logged once (src/shared/clusterSize.ts). */
  clusterSize(): number {
    return this.clusterSizeReader.size();
  }

  /** What an inspector or a persisted snapshot shows of the environment: the settings, no back-references. */
  toJSON(): { interval: number; serverUpInterval: number; retryFailInterval: number } {
    return { interval: this.interval, serverUpInterval: this.serverUpInterval, retryFailInterval: this.retryFailInterval };
  }

  // --- SyncRunnerHost ------------------------------------------------------------

  isPaused(): boolean {
    return this.owner.paused;
  }

  waitingForPrevious(): void {
    this.log().warn('previous sync is still running after its timeout; waiting for it');
  }
}

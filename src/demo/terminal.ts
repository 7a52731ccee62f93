// The demo's terminal output (not to be confused with the browser live view): a live status block (one line per agent: syncer state,
// active server, catalog size) redrawn in place on a TTY with ANSI escapes, or printed
// as plain lines at phase ends otherwise; and the summary table.
import type { CatalogAgent } from '../catalog/catalogAgent.js';
import type { DemoCheck, PhaseResult } from './scenarioTypes.js';
import { fmt } from './measure.js';

export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

const ESC = '\u001b[';
const color = (tty: boolean, code: number, text: string): string => (tty ? `${ESC}${code}m${text}${ESC}0m` : text);

/** Pads cells into aligned columns (numbers right-aligned). */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly (string | number)[]): string =>
    r.map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i] ?? 0) : String(c).padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}

/** One line per agent: what the status view shows. */
export function statusLines(agents: readonly CatalogAgent[]): string[] {
  const rows = agents.map((a) => {
    const s = a.agent.syncer.stats();
    const r = a.registry.stats();
    return [
      a.node,
      a.agent.syncer.state,
      a.agent.servers.numServers() === 0 ? '-' : (a.agent.servers.findServer()?.name ?? '-'),
      r.services,
      r.dirty,
      s.fullSyncs,
      s.partialSyncs,
      s.fullSyncFailures + s.partialSyncFailures,
      r.session ?? '-',
    ];
  });
  return formatTable(['agent', 'syncer', 'server', 'services', 'dirty', 'full', 'partial', 'failed', 'session'], rows);
}

/** The live status block. On a TTY it redraws every `refreshMs` in place; otherwise it prints on `flush()`. */
export class StatusView {
  private agents: readonly CatalogAgent[] = [];
  private drawn = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private phase = '';
  private readonly startedAt = Date.now();

  constructor(
    private readonly out: Output,
    private readonly refreshMs = 200,
  ) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  watch(agents: readonly CatalogAgent[]): void {
    this.agents = agents;
    if (this.tty && !this.timer) {
      this.timer = setInterval(() => this.redraw(), this.refreshMs);
      this.timer.unref();
    }
  }

  setPhase(name: string): void {
    if (!this.tty && this.phase) this.flush();
    this.phase = name;
  }

  /** A narrative line, printed above the status block. */
  event(line: string): void {
    const text = line.startsWith('✓') ? color(this.tty, 32, line) : line.startsWith('✗') ? color(this.tty, 31, line) : line;
    if (!this.tty) {
      this.out.write(`${text}\n`);
      return;
    }
    this.erase();
    this.out.write(`${text}\n`);
    this.redraw();
  }

  /** Non-TTY: prints the block once (phase ends); TTY: redraws now. */
  flush(): void {
    if (this.tty) return this.redraw();
    if (this.agents.length === 0) return;
    for (const line of this.block()) this.out.write(`  ${line}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.redraw();
    else this.flush();
    this.drawn = 0;
  }

  private block(): string[] {
    const secs = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    return [`[${secs} s] ${this.phase}`, ...statusLines(this.agents)];
  }

  private erase(): void {
    if (this.drawn === 0) return;
    this.out.write(`${ESC}${this.drawn}A\r${ESC}J`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (this.agents.length === 0) return;
    const lines = this.block();
    this.erase();
    this.out.write(lines.map((l) => `${ESC}2K${l}\n`).join(''));
    this.drawn = lines.length;
  }
}

/** The summary: one row per phase, then every check. */
export function summaryLines(phases: readonly PhaseResult[], checks: readonly DemoCheck[], tty = false): string[] {
  const rows = phases.map((p) => [p.name, fmt(p.durationMs), p.fullSyncs, p.partialSyncs, p.failures, p.writes, p.failedWrites, fmt(p.repairMs), p.lost]);
  const lines = formatTable(
    ['phase', 'duration', 'full syncs', 'partial syncs', 'sync failures', 'writes', 'failed writes', 'time to repair', 'entries lost'],
    rows,
  );
  lines.push('');
  for (const c of checks) lines.push(color(tty, c.ok ? 32 : 31, `${c.ok ? '✓' : '✗'} ${c.name} — ${c.detail}`));
  return lines;
}

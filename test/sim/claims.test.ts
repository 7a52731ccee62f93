import { describe, expect, it } from 'vitest';
import { claimRow, formatNumber, markEndedFirst, verdictFor } from '../../src/sim/claims.js';
import { claimsTable } from '../../src/sim/report.js';

describe('claims', () => {
  it('grades a measurement against its claim at the 15 % and ×1.5 boundaries', () => {
    expect(verdictFor(100, 115)).toBe('holds');
    expect(verdictFor(100, 116)).toBe('roughly');
    expect(verdictFor(100, 150)).toBe('roughly');
    expect(verdictFor(100, 151)).toBe('differs');
    expect(verdictFor(100, 66)).toBe('differs');
    expect(verdictFor(100, 67)).toBe('roughly');
  });

  it('grades bounds, exact factors, zero claims and missing values by their own rules', () => {
    expect(verdictFor(10, 10, 'atMost')).toBe('holds');
    expect(verdictFor(10, 12, 'atMost')).toBe('roughly');
    expect(verdictFor(8, 7, 'exact')).toBe('differs');
    expect(verdictFor(8, 8, 'exact')).toBe('holds');
    expect(verdictFor(0, 0)).toBe('holds');
    expect(verdictFor(0, 1)).toBe('differs');
    expect(verdictFor(5, null)).toBe('not reached');
    expect(verdictFor(null, 5)).toBe('n/a');
  });

  it('prints a table whose header has claim, claim from, measured, ratio, verdict and source when given rows', () => {
    const table = claimsTable([
      claimRow('steady', 'x', '1/s', 13, 13.3, 'Consul agent/router/manager.go', { basis: 'upstream' }),
      claimRow('s', 'y', 's', null, 2, 'measured only'),
      claimRow('s', 'z', 's', 3, 2, 'N / 64 s'),
    ]);
    const [header, rule, first, second, third] = table.split('\n');
    expect(header).toMatch(/^scenario\s+what\s+claim\s+claim from\s+measured\s+unit\s+ratio\s+verdict\s+source$/);
    expect(rule).toMatch(/^-+$/);
    expect(first).toMatch(/steady\s+x\s+13\.0\s+upstream\s+13\.3\s+1\/s\s+1\.02\s+holds\s+Consul's server manager$/);
    expect(second).toMatch(/—\s+—\s+2\.00.*—\s+n\/a\s+measured only$/);
    expect(third).toMatch(/3\.00\s+formula\s+2\.00/);
  });

  it('says the run ended first, and how long it was, when the measured event never happened', () => {
    const rows = markEndedFirst([claimRow('steady', 'x', 'min', 3, null, 'src'), claimRow('steady', 'y', 'min', 3, 2.9, 'src')], 600_000);
    expect(rows[0]).toMatchObject({ verdict: 'run ended first', measuredText: 'none in 10.0 min', measured: null });
    expect(rows[1]).toMatchObject({ verdict: 'holds', measuredText: '2.90' });
    expect(claimsTable(rows)).toMatch(/none in 10\.0 min\s+min\s+—\s+run ended first/);
  });

  it('formats numbers without exponents or locale separators', () => {
    expect(formatNumber(1562.5)).toBe('1563');
    expect(formatNumber(13.333)).toBe('13.3');
    expect(formatNumber(0.26)).toBe('0.26');
    expect(formatNumber(null)).toBe('—');
  });
});

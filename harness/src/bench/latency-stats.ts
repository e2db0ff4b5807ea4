/** Latency samples in milliseconds, summarised by nearest-rank percentiles. */
export class LatencySamples {
  private readonly samplesMs: number[] = [];

  constructor(private readonly samplesMax = 1_000_000) {}

  add(valueMs: number): void {
    if (this.samplesMs.length < this.samplesMax) this.samplesMs.push(valueMs);
  }

  get count(): number {
    return this.samplesMs.length;
  }

  /** Nearest-rank percentile (p in 0..100); NaN when empty. */
  percentile(p: number): number {
    if (this.samplesMs.length === 0) return Number.NaN;
    const sorted = [...this.samplesMs].sort((a, b) => a - b);
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
    return sorted[rank - 1]!;
  }
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

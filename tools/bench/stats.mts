/** Small statistics and formatting helpers shared by the benches. */

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

export const quantile = (xs: number[], q: number): number => {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};
export const median = (xs: number[]): number => quantile(xs, 0.5);
export const p95 = (xs: number[]): number => quantile(xs, 0.95);

export const us = (v: number): string => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} us`);
export const ms = (v: number): string => `${v.toFixed(1)} ms`;
export const x = (v: number): string => `${v.toFixed(2)}x`;
export const met = (ok: boolean): string => (ok ? 'yes' : '**no**');
export const elapsedUs = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e3;
export const mib = (b: number): string => `${(b / 1024 ** 2).toFixed(1)} MiB`;

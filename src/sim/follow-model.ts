/**
 * How many accounts a simulated user follows, calibrated on the reference run (REFERENCE-RUN.md): the
 * mean capped-at-2,000 friend count per tenth of users in ID order fell from 820 (oldest) to 217
 * (newest). Counts are log-normal around a median that declines with account age, so the tail is heavy
 * (a few percent follow more than 2,000) and some users follow nobody.
 */

/** Mean friends (capped at 2,000) of each reference bucket, oldest first. */
export const REFERENCE_MEAN_FRIENDS: readonly number[] = [820, 723, 666, 610, 567, 522, 508, 460, 353, 217];
export const REFERENCE_CAP = 2000;

/** Log-normal spread: with it, 1-12% of a tenth follow more than 2,000, as follower studies report. */
export const SIGMA = 1.1;
/** Share of users who follow nobody. */
export const ZERO_SHARE = 0.02;
/** Share of follow targets hidden from lists because they are suspended or deleted (see the sim graph). */
export const HIDDEN_TARGET_SHARE = 0.015;

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf approximation, |error| < 1.5e-7). */
export function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** E[min(X, cap)] for X log-normal(mu, sigma). */
export function cappedLogNormalMean(mu: number, sigma: number, cap: number): number {
  const lc = Math.log(cap);
  return Math.exp(mu + (sigma * sigma) / 2) * phi((lc - mu - sigma * sigma) / sigma) + cap * (1 - phi((lc - mu) / sigma));
}

/** The mu whose capped mean is `target` (bisection; the capped mean is increasing in mu). */
export function solveMu(target: number, sigma: number, cap: number): number {
  let lo = -5;
  let hi = 15;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (cappedLogNormalMean(mid, sigma, cap) < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * mu at the centre of each tenth, such that visible, capped counts average the reference's figures.
 * mu is interpolated between centres (see muAt), which pulls each tenth's mean towards its neighbours';
 * a few fixed-point rounds on the interpolated means undo that pull.
 */
const DECILE_MU: readonly number[] = (() => {
  const targets = REFERENCE_MEAN_FRIENDS.map((mean) => mean / ((1 - ZERO_SHARE) * (1 - HIDDEN_TARGET_SHARE)));
  const mu = targets.map((t) => solveMu(t, SIGMA, REFERENCE_CAP));
  const GRID = 50;
  for (let round = 0; round < 30; round++) {
    for (let d = 0; d < 10; d++) {
      let sum = 0;
      for (let g = 0; g < GRID; g++) sum += cappedLogNormalMean(interpolate(mu, (d + (g + 0.5) / GRID) / 10), SIGMA, REFERENCE_CAP);
      mu[d] = mu[d]! + Math.log(targets[d]! / (sum / GRID));
    }
  }
  return mu;
})();

function interpolate(mu: readonly number[], q: number): number {
  const x = q * 10 - 0.5;
  if (x <= 0) return mu[0]!;
  if (x >= 9) return mu[9]!;
  const k = Math.floor(x);
  const f = x - k;
  return mu[k]! * (1 - f) + mu[k + 1]! * f;
}

/** mu for a user at relative age position q in [0, 1) (0 = oldest), interpolated between tenth centres. */
export function muAt(q: number): number {
  return interpolate(DECILE_MU, q);
}

/**
 * Following count from a uniform `u0` (zero or not) and a standard normal `z`, capped at `max`
 * (the number of other users in the graph).
 */
export function followingCount(q: number, u0: number, z: number, max: number): number {
  if (u0 < ZERO_SHARE) return 0;
  const c = Math.floor(Math.exp(muAt(q) + SIGMA * z));
  return Math.min(c, max);
}

/** The token-bucket arithmetic of `takeRateToken` (a bucket of `rate` tokens refilled over `intervalMs`). */

/**
 * The tokens of a bucket last refilled at `lastAt`, refilled continuously up to `rate` by `now`. A
 * clock behind the last writer's refills nothing (clocks of different callers may disagree slightly).
 */
export function refillTokens(
  tokens: number,
  lastAt: number,
  rate: number,
  intervalMs: number,
  now: number,
): number {
  return Math.min(rate, tokens + (Math.max(0, now - lastAt) * rate) / intervalMs);
}

/** How long (ms, at least 1) until a bucket holding `tokens` (< 1) has a whole token again. */
export function rateWaitMs(tokens: number, rate: number, intervalMs: number): number {
  return Math.max(1, Math.ceil(((1 - tokens) * intervalMs) / rate));
}

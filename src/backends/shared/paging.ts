/** Turning the inclusive index range of `getJobs` into an offset and a limit. */

/** A page of a listing: skip `offset` rows, then take `limit` (null: all the rest). */
export interface Page {
  offset: number;
  limit: number | null;
}

/** The page of `range` (`end` -1: to the end), or null when the range is empty. */
export function pageOf(range: { start: number; end: number }): Page | null {
  const offset = Math.max(0, Math.floor(range.start));
  if (range.end < 0) return { offset, limit: null };
  const limit = Math.floor(range.end) - offset + 1;
  return limit > 0 ? { offset, limit } : null;
}

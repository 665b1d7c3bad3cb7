/** The refusal of `obliterate` without `force` while a queue still has active jobs. */
import { ValidationError } from "../../errors.js";

/** The error of obliterating `queue` (not forced) while `active` of its jobs run. */
export function activeJobsBlockObliterate(
  queue: string,
  active: number | string | undefined,
): ValidationError {
  return new ValidationError(
    `queue "${queue}" has ${active} active job(s); stop its workers first or obliterate with { force: true }`,
  );
}

/**
 * How help texts name the backends: one phrase, so that every `--backend` help lists the same four
 * URL schemes.
 */
export const BACKEND_URL_FORMS =
  "sqlite://./path.db, redis://host:6379, postgres://user@host/db or memory://";

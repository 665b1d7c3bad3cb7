/** Backend URLs as they may appear in messages and banners: never with their password. */

/**
 * `url` without its password (`postgres://app:secret@db/jobs` -> `postgres://app@db/jobs`); a URL
 * without one is returned unchanged, byte for byte.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = "";
    return u.toString().replace(/^(\w+:\/\/[^:@/]*):?@/, "$1@");
  } catch {
    // Not a URL the parser takes (e.g. a password with a bare "/"): cut "user:...@" by hand.
    return url.replace(/\/\/([^:@/]*):[^@]*@/, "//$1@");
  }
}

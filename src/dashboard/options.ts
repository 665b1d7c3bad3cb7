/**
 * The dashboard's options, as users pass them, and their validated form. Bad options throw
 * ValidationError here, before anything listens.
 */
import type { Backend } from "../backends/backend.js";
import { resolveBackend } from "../backends/registry.js";
import { ValidationError } from "../errors.js";

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** The backend to show, as an instance or a URL; default: the configured default backend. */
  backend?: Backend | string;
  /**
   * The path the dashboard is served under, like `"/admin/queues"` (mount it there); default `""`
   * (the root). Links and cookies use it.
   */
  basePath?: string;
  /** Hide every action and refuse each POST action with 403; default `false`. */
  readOnly?: boolean;
  /** `"user:pass"`: require HTTP Basic authentication with these credentials; default: none. */
  auth?: string;
  /**
   * Require this token, as `Authorization: Bearer <token>` or through the login form (which sets an
   * HttpOnly cookie); default: none. Give `auth` or `token`, not both.
   */
  token?: string;
  /**
   * The `Host` header names (without port) the dashboard answers, e.g. `["localhost", "127.0.0.1"]`;
   * others get 403, which defeats DNS rebinding. Default: any host. `startDashboard` bound to
   * loopback without auth sets the loopback names.
   */
  allowedHosts?: string[];
}

/** The options after validation. */
export interface DashboardConfig {
  backend: Backend;
  /** "" or "/path" without a trailing slash. */
  base: string;
  readOnly: boolean;
  basic?: { user: string; pass: string };
  token?: string;
  allowedHosts?: ReadonlySet<string>;
}

export function resolveOptions(options: DashboardOptions = {}): DashboardConfig {
  if (typeof options !== "object" || options === null)
    throw new ValidationError("dashboard options must be an object like { backend, basePath, auth }");
  if (options.auth !== undefined && options.token !== undefined)
    throw new ValidationError("give the dashboard either auth (user:pass) or token, not both");
  const config: DashboardConfig = {
    backend: resolveBackend(options.backend),
    base: checkBasePath(options.basePath ?? ""),
    readOnly: options.readOnly === true,
  };
  if (options.auth !== undefined) config.basic = parseAuth(options.auth);
  if (options.token !== undefined) config.token = checkToken(options.token);
  if (options.allowedHosts !== undefined) config.allowedHosts = checkHosts(options.allowedHosts);
  return config;
}

/** Whether the dashboard asks for credentials. */
export function needsLogin(config: DashboardConfig): boolean {
  return config.basic !== undefined || config.token !== undefined;
}

function checkBasePath(path: unknown): string {
  if (typeof path !== "string")
    throw new ValidationError(`basePath must be a string like "/admin/queues", got ${String(path)}`);
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return "";
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(trimmed))
    throw new ValidationError(
      `basePath "${path}" must start with "/" and hold only letters, digits and . _ ~ - between slashes, like "/admin/queues"`,
    );
  return trimmed;
}

function parseAuth(auth: unknown): { user: string; pass: string } {
  const text = typeof auth === "string" ? auth : "";
  const colon = text.indexOf(":");
  if (colon <= 0 || colon === text.length - 1)
    throw new ValidationError(`auth must be "user:password" with both parts non-empty`);
  return { user: text.slice(0, colon), pass: text.slice(colon + 1) };
}

function checkToken(token: unknown): string {
  if (typeof token !== "string" || token.length < 8 || /\s/.test(token))
    throw new ValidationError(
      "token must be a string of at least 8 characters without spaces; generate one with: openssl rand -hex 24",
    );
  return token;
}

function checkHosts(hosts: unknown): ReadonlySet<string> {
  if (!Array.isArray(hosts) || hosts.some((h) => typeof h !== "string" || h === ""))
    throw new ValidationError(`allowedHosts must be an array of host names like ["localhost"]`);
  return new Set(hosts.map((h: string) => h.toLowerCase()));
}

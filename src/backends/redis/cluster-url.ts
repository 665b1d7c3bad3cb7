/**
 * `redis+cluster://[user:password@]host1:port1,host2:port2` (`rediss+cluster://` for TLS): the
 * startup nodes of a Redis Cluster and what every connection to its nodes needs (credentials, TLS).
 */
import { ValidationError } from "../../errors.js";

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]*)\/?$/i;

/** What `new Cluster(nodes, { redisOptions })` needs from a cluster URL. */
export interface ClusterUrl {
  nodes: Array<{ host: string; port: number }>;
  auth: { username?: string; password?: string; tls?: object };
}

/** Whether `url` names a Redis Cluster (its scheme). */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:/i.test(url);
}

/**
 * The nodes and credentials of a cluster URL.
 * @throws ValidationError for a URL with no node, a bad port, or a path (a cluster has database 0 only).
 */
export function parseClusterUrl(url: string): ClusterUrl {
  const match = CLUSTER_URL.exec(url);
  const shown = url.replace(/\/\/[^@/]*@/, "//***@");
  if (match === null) {
    throw new ValidationError(
      `Redis Cluster URL "${shown}" is not redis+cluster://[user:password@]host1:port1,host2:port2 (no path: a cluster has database 0 only)`,
    );
  }
  const [, scheme = "", userinfo, hosts = ""] = match;
  const nodes = hosts.split(",").map((node) => {
    const at = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(node.trim());
    const port = Number(at?.[2] ?? 6379);
    if (at === null || !(port > 0 && port < 65536)) {
      throw new ValidationError(`Redis Cluster URL "${shown}" has a bad node "${node}"; use host:port`);
    }
    return { host: (at[1] as string).replace(/^\[|\]$/g, ""), port };
  });
  const auth: ClusterUrl["auth"] = {};
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    const user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
    if (user !== "") auth.username = user;
    if (colon >= 0) auth.password = decodeURIComponent(userinfo.slice(colon + 1));
  }
  if (scheme.toLowerCase() === "rediss") auth.tls = {};
  return { nodes, auth };
}

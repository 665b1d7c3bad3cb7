// Seconds of CPU an engine has used so far, for a benchmark that reads it before and after a phase
// (bench/cpu-split.js, bench/pg-ceiling.js).
import { readdirSync, readFileSync } from "node:fs";
import IORedis from "ioredis";

/** The Redis server's used_cpu_sys + used_cpu_user (INFO cpu); any server, local or not. */
export async function redisCpuSeconds(url) {
  const redis = new IORedis(url);
  try {
    const info = await redis.info("cpu");
    const field = (name) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1]);
    return field("used_cpu_sys") + field("used_cpu_user");
  } finally {
    redis.disconnect();
  }
}

/**
 * The local PostgreSQL server's CPU: utime + stime of every process named "postgres" in /proc, plus
 * their reaped children's (cutime + cstime: the postmaster's count the backends that have exited,
 * such as a pgbench run's connections or an autovacuum worker). Only a server on this machine, and
 * whatever else it does meanwhile counts.
 */
export function postgresCpuSeconds() {
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "postgres") continue;
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // a process that ended meanwhile
    }
  }
  return ticks / 100; // USER_HZ
}

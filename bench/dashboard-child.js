// The dashboard process of bench/dashboard-cost.js: serves `url`'s backend on a free port and prints
// its address. Usage: node dashboard-child.js <url>
import { startDashboard } from "asyncmq";

const dashboard = await startDashboard({ backend: process.argv[2], port: 0 });
console.log(dashboard.url);
process.on("SIGTERM", async () => {
  await dashboard.close();
  process.exit(0);
});

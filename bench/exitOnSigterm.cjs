// Preloaded into a profiled process (bench/pack.ts --cpu-prof): exit normally on SIGTERM, so that
// `node --cpu-prof` writes its profile (a process killed by the default action writes none).
"use strict";
process.on("SIGTERM", () => process.exit(0));

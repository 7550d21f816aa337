/** Writes guest/modules/MailhostTcpTuning/Limits.psd1 from domain/limits.ts. */
import * as fs from "node:fs";
import { GUEST_MODULE, renderGuestLimits } from "../components/guestScripts";

fs.writeFileSync(GUEST_MODULE.limitsFile, renderGuestLimits());
console.log(`wrote ${GUEST_MODULE.limitsFile}`);

/** Debian's Chromium, which the browser tests drive (never a downloaded browser). */
import { existsSync } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";
/** False skips the browser tests — unless SKYTOM_REQUIRE_BROWSER=1, which fails the run instead (global-setup). */
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium), driven by playwright-core; never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** For `describe(…, { skip: chromiumMissing })`: false, or why the browser tests cannot run here. */
export const chromiumMissing: false | string = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

/** Headless, and quiet towards the network: without these flags Chromium calls out at every start. */
export function launchChromium(options: { timeout: number; extraArgs?: string[] }): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...(options.extraArgs ?? [])],
    timeout: options.timeout,
  });
}

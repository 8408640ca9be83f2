// Launches Debian's Chromium for the console's tests: never a downloaded browser, a fresh
// profile each time, nothing talking to the network but the stations under test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const chromium_path = process.env.CHROMIUM ?? '/usr/bin/chromium';

const args = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  // The alarm is Web Audio; a test has no hand to click first.
  '--autoplay-policy=no-user-gesture-required',
];

// A browser with its own fresh --user-data-dir; close() removes it.
export async function open_browser({ locale = 'en-US', timezone = 'UTC' } = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'hotline-console-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromium_path,
    headless: true,
    args,
    locale,
    timezoneId: timezone,
    viewport: { width: 1440, height: 900 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`unexpected dialog: ${d.message()}`);
    void d.dismiss();
  });
  return {
    context, page, problems,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// What the browser tests do on every page: sign in, take a screenshot, check that every control
// has an accessible name.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const artifacts = process.env.HOTLINE_ARTIFACTS ?? path.join(here, '..', 'test-results');
export const wait_ms = 20_000;

export async function shot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}

export async function sign_in(page, url, user, password) {
  await page.goto(url);
  await page.getByLabel(/Username|사용자 이름|Имя пользователя/).fill(user);
  await page.getByLabel(/^(Password|비밀번호|Пароль)$/).fill(password);
  await page.getByRole('button', { name: /^(Sign in|로그인|Войти)$/ }).click();
  await page.locator('nav.nav').waitFor({ timeout: wait_ms });
}

// Every button, link, input and select on the page has an accessible name.
export async function unnamed_controls(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('button, a[href], input, select, textarea, [role="button"]')) {
      if (el.closest('[hidden]') || el.type === 'hidden') continue;
      const labelled = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title') ||
        (el.labels && el.labels.length && [...el.labels].some((l) => l.textContent.trim())) ||
        (['BUTTON', 'A'].includes(el.tagName) && el.textContent.trim());
      if (!labelled) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}

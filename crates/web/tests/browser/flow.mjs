// The shared customer view in a real browser (Debian's Chromium, driven by
// Playwright): a salesperson runs a pre-sale check and asks for a dunning
// pause; a credit manager approves it; a collector records a payment
// agreement, sees the customer drop out of the dunning preview, and sends
// the run after checking what goes out.
//
// Usage: node flow.mjs BASE_URL SALES_EMAIL OWN_CUSTOMER DUNNED_CUSTOMER PASSWORD
import { chromium } from 'playwright-core';

const [base, salesEmail, own, dunned, password] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function loginAs(email) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } }); // a phone
  const page = await context.newPage();
  await page.goto(`${base}/login?lang=en`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
  check(!page.url().includes('/login'), `${email} could not log in: ${page.url()}`);
  return { context, page };
}

try {
  // 1. Sales: the pre-sale check, then a pause request for their customer.
  const sales = await loginAs(salesEmail);
  let page = sales.page;
  await page.goto(`${base}/check`);
  await page.fill('#check-customer input[name=customer]', own);
  await page.fill('#check-customer input[name=amount]', '4500');
  const started = Date.now();
  await Promise.all([page.waitForNavigation(), page.click('#check-customer button[type=submit]')]);
  const verdict = await page.getAttribute('[data-verdict]', 'data-verdict');
  check(['approve', 'conditions', 'prepay'].includes(verdict), `no verdict: ${verdict}`);
  console.log(`check: ${verdict} in ${Date.now() - started} ms`);

  await page.goto(`${base}/customers/${own}`);
  await page.fill('#pause-request-form input[name=until]', '2026-12-20');
  await page.fill('#pause-request-form input[name=reason]', 'New contract, invoice follows');
  await Promise.all([page.waitForNavigation(), page.click('#pause-request-form button[type=submit]')]);
  check((await page.textContent('#pause-requests')).includes('New contract'), 'the request is not on the customer page');
  if (process.env.SHOT_DIR) await page.screenshot({ path: `${process.env.SHOT_DIR}/sales-customer.png` });

  // 2. Credit manager: approve it from Today.
  const credit = await loginAs('credit@t.example');
  page = credit.page;
  await page.goto(`${base}/today`);
  const request = page.locator('#requests .item', { hasText: 'New contract' });
  check(await request.count() === 1, 'the request is not on Today');
  await Promise.all([page.waitForNavigation(), request.locator('form[action$="/approve"] button').click()]);
  await page.goto(`${base}/customers/${own}`);
  check((await page.textContent('.badges')).includes('20 Dec 2026'), 'the customer is not paused');

  // 3. Collector: a payment agreement takes the customer out of the preview.
  const collector = await loginAs('collector@t.example');
  page = collector.page;
  await page.goto(`${base}/dunning`);
  check(await page.locator(`[data-customer="${dunned}"]`).count() > 0, `${dunned} is not in the preview`);
  await page.goto(`${base}/customers/${dunned}`);
  await page.fill('#promise-form input[name=amount]', '100');
  await page.fill('#promise-form input[name=date]', '2026-12-05');
  await Promise.all([page.waitForNavigation(), page.click('#promise-form button[type=submit]')]);
  check((await page.textContent('#promises')).includes('5 Dec 2026'), 'the agreement is not on the page');
  await page.goto(`${base}/dunning`);
  check(await page.locator(`[data-customer="${dunned}"]`).count() === 0, `${dunned} is still in the preview`);
  if (process.env.SHOT_DIR) await page.screenshot({ path: `${process.env.SHOT_DIR}/dunning.png` });

  // 4. Approve and send: first what will go out (and who can be left out),
  //    then the run.
  await Promise.all([page.waitForNavigation(), page.click('#approve')]);
  check(page.url().includes('/dunning/confirm'), `no confirmation before sending: ${page.url()}`);
  check(await page.locator('table.list tbody tr').count() > 0, 'the confirmation lists nothing');
  if (process.env.SHOT_DIR) await page.screenshot({ path: `${process.env.SHOT_DIR}/dunning-confirm.png` });
  await Promise.all([page.waitForNavigation(), page.click('#run-form button[type=submit]')]);
  // The run goes on in the background; its page follows it until it is done.
  check(page.url().includes('/dunning/progress'), `no progress page: ${page.url()}`);
  await page.waitForSelector('#run[data-state="done"]', { timeout: 60000 });
  check((await page.textContent('#sent')).includes('delivered'), 'no word that the run was done');
  console.log('flow: ok');
} finally {
  await browser.close();
}

// A collector's morning and a credit manager's settings change, in Dutch,
// in a real browser (Debian's Chromium, driven by Playwright):
// - the collector starts on Today with their worklist, opens the customer
//   they have to call, records the promise the customer makes and the call,
//   then matches a payment from the bank statement, undoes the match and
//   matches it again; every step confirms what it did;
// - the credit manager raises a segment's threshold through the form,
//   previews it on a real customer and saves it;
// - the credit manager opens the meeting pack and records a decision;
// - a salesperson thanks a customer who kept their deal, logs a gift for
//   another and answers a question of the policy quiz, on a phone.
//
// Usage: node morning.mjs BASE_URL PASSWORD CALLED_CUSTOMER PREVIEW_CUSTOMER SALES_EMAIL
import { chromium } from 'playwright-core';

const [base, password, called, previewCustomer, salesEmail] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function loginInDutch(email, width) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
  check(!page.url().includes('/login'), `${email} could not log in`);
  const toDutch = page.locator('header button', { hasText: 'Nederlands' });
  if (await toDutch.count() === 1) {
    await Promise.all([page.waitForNavigation(), toDutch.click()]);
  }
  check(await page.getAttribute('html', 'lang') === 'nl', 'the page is not in Dutch');
  return page;
}

async function done(page) {
  return (await page.textContent('#done')) || '';
}

try {
  // 1. The collector's morning, on a phone.
  let page = await loginInDutch('collector@t.example', 390);
  await page.goto(`${base}/today`);
  const worklist = await page.locator('#worklist').boundingBox();
  const book = await page.locator('.totals').boundingBox();
  check(worklist.y < book.y, 'the worklist is not first on Today');
  const call = page.locator(`#calls .item a[href="/customers/${called}"]`);
  check(await call.count() >= 1, `the call to ${called} is not on Today`);
  await Promise.all([page.waitForNavigation(), call.first().click()]);
  check(page.url().includes(`/customers/${called}`), `not on the customer page: ${page.url()}`);

  // The customer promises to pay next week.
  await page.fill('#promise-form input[name=amount]', '100,00'.replace(',', '.'));
  await page.fill('#promise-form input[name=date]', '2026-12-02');
  await page.fill('#promise-form input[name=note]', 'Belt terug als het niet lukt');
  await Promise.all([page.waitForNavigation(), page.click('#promise-form button[type=submit]')]);
  check((await done(page)).includes('Betaalafspraak bewaard: betaalt uiterlijk 2 december 2026'),
        `no confirmation of the promise: ${await done(page)}`);
  check((await page.textContent('#promises')).includes('02-12-2026'), 'the promise is not on the page');

  // The call is done.
  const task = page.locator('form[action^="/tasks/"]').first();
  await task.locator('input[name=outcome]').fill('Gesproken met de administratie; betaalt 2 december');
  await Promise.all([page.waitForNavigation(), task.locator('button[type=submit]').click()]);
  check((await done(page)).includes('Telefoontje vastgelegd'), `no confirmation of the call: ${await done(page)}`);

  // A payment from this morning's statement, matched as suggested.
  await page.goto(`${base}/payments`);
  const suggested = page.locator('form.inline[action$="/match"]').first();
  check(await suggested.count() === 1, 'no payment with a suggestion on the queue');
  await Promise.all([page.waitForNavigation(), suggested.locator('button').click()]);
  const matched = await done(page);
  check(/Betaling \S+ gekoppeld aan \S+/.test(matched), `no confirmation of the match: ${matched}`);
  // Matched to the wrong invoice, say: undone from the confirmation, then
  // matched again.
  await Promise.all([page.waitForNavigation(), page.click('#undo button')]);
  const undone = await done(page);
  check(/Ongedaan: betaling \S+ staat weer op de lijst/.test(undone), `no confirmation of the undo: ${undone}`);
  const again = page.locator('form.inline[action$="/match"]').first();
  await Promise.all([page.waitForNavigation(), again.locator('button').click()]);
  check(/Betaling \S+ gekoppeld aan \S+/.test(await done(page)), `not matched again: ${await done(page)}`);
  if (process.env.SHOT_DIR) await page.screenshot({ path: `${process.env.SHOT_DIR}/collector-payments.png` });
  console.log(`morning: ${matched}`);

  // 2. The credit manager raises the watch list's threshold, on a laptop.
  page = await loginInDutch('credit@t.example', 1366);
  await page.goto(`${base}/settings`);
  await Promise.all([page.waitForNavigation(), page.click('a[href="/settings/segments/watch_list"]')]);
  const row = page.locator('fieldset[data-alternative="0"] .condition', {
    has: page.locator('select[name$="_fact"] option[value="avg_days_late"][selected]'),
  });
  check(await row.count() === 1, 'the average-days-late row is not in the form');
  await row.locator('input[name$="_value"]').fill('45');
  await page.fill('input[name=customer]', previewCustomer);
  await Promise.all([page.waitForNavigation(), page.click('#segment-form button[type=submit]:not(#save-segment)')]);
  check((await page.textContent('#preview')).includes('Met deze instellingen hoort deze klant bij'),
        'no preview on the customer');
  await Promise.all([page.waitForNavigation(), page.click('#save-segment')]);
  check((await done(page)).includes('Instellingen bewaard'), `not saved: ${await done(page)}`);
  const saved = page.locator('fieldset[data-alternative="0"] .condition', {
    has: page.locator('select[name$="_fact"] option[value="avg_days_late"][selected]'),
  });
  check(await saved.locator('input[name$="_value"]').inputValue() === '45', 'the new threshold is not shown');
  if (process.env.SHOT_DIR) await page.screenshot({ path: `${process.env.SHOT_DIR}/credit-segment.png`, fullPage: true });

  // A merge field goes into a template where the cursor is.
  await page.goto(`${base}/settings`);
  await Promise.all([page.waitForNavigation(), page.locator('#templates a[href*="reminder.nl"]').first().click()]);
  const area = page.locator('#template-source');
  const before = await area.inputValue();
  await area.evaluate((el) => { el.focus(); el.selectionStart = el.selectionEnd = 0; });
  await page.click('button.insert-field[data-field="{{ customer.name }}"]');
  const after = await area.inputValue();
  check(after === '{{ customer.name }}' + before, 'the merge field is not at the cursor');

  // The joint meeting: the pack, and a decision recorded at it.
  await page.goto(`${base}/meeting`);
  check((await page.textContent('.meeting h1')).includes('Overleg sales en credit'), 'no meeting pack');
  await page.fill('#decide input[name=customer]', called);
  await page.fill('#decide input[name=text]', 'Betalingsregeling aanbieden');
  await Promise.all([page.waitForNavigation(), page.click('#decide button[type=submit]')]);
  check((await done(page)).includes('Besluit over'), `no confirmation of the decision: ${await done(page)}`);
  check((await page.textContent('#decisions')).includes('Betalingsregeling aanbieden'), 'the decision is not in the pack');
  if (process.env.SHOT_DIR) await page.screenshot({ path: `${process.env.SHOT_DIR}/credit-meeting.png`, fullPage: true });

  // 3. A salesperson thanks a customer who kept their deal and logs a gift
  //    for another, on a phone.
  page = await loginInDutch(salesEmail, 390);
  await page.goto(`${base}/my`);
  const first = page.locator('#appreciation .item[data-suggestion]').first();
  check(await first.count() === 1, 'nobody to thank on My customers');
  await Promise.all([page.waitForNavigation(), first.locator('form[action$="/thank"] button').click()]);
  check((await done(page)).includes('Bedankje verstuurd aan'), `no confirmation of the thank-you: ${await done(page)}`);
  const next = page.locator('#appreciation .item[data-suggestion]').first();
  check(await next.count() === 1, 'no second customer to thank');
  await next.locator('summary').click();
  await next.locator('input[name=item]').fill('Taart voor het team');
  await next.locator('input[name=value]').fill('35');
  await Promise.all([page.waitForNavigation(), next.locator('form[action$="/gift"] button').click()]);
  check((await done(page)).includes('Cadeau voor'), `no confirmation of the gift: ${await done(page)}`);
  const budget = (await page.textContent('#gift-budget')).replace(/\s/g, ' ');
  check(budget.includes('gebruikt € 35,00') && budget.includes('resterend € 215,00'), `the budget is not updated: ${budget}`);
  if (process.env.SHOT_DIR) await page.screenshot({ path: `${process.env.SHOT_DIR}/sales-appreciation.png`, fullPage: true });

  // The policy quiz: one question, answered, checked and explained.
  await page.goto(`${base}/training/quiz`);
  check((await page.textContent('#question')).includes('Wat zegt het beleid?'), 'no quiz question');
  await page.locator('#question input[name=answer]').first().check();
  await Promise.all([page.waitForNavigation(), page.click('#question button[type=submit]')]);
  const verdict = await page.textContent('#result');
  check(/Goed!|Niet helemaal\./.test(verdict) && verdict.includes('Het beleid zegt'), `no checked answer: ${verdict}`);
  check((await page.textContent('#scores')).includes('van 1 goed'), 'the score is not kept');
  console.log('morning: ok');
} finally {
  await browser.close();
}

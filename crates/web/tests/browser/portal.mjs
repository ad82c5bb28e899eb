// The customer's own page on a phone, in a real browser (Debian's
// Chromium, driven by Playwright), in Dutch and in English:
// - a Dutch customer opens the link, sees what is open and how to pay,
//   says they have already paid, promises a date, reports a problem with
//   an invoice and asks to be called; a mistake in the promise form comes
//   back at the field; every action ends on a confirmation page;
// - an English customer switches language, asks for a payment plan and
//   sees its schedule, then downloads the statement.
// Nothing on any page is wider than the phone.
//
// Usage: node portal.mjs BASE_URL DUTCH_LINK ENGLISH_LINK INVOICE_OF_THE_DUTCH_CUSTOMER OVERDUE (1234,56)
import { chromium } from 'playwright-core';

const [base, dutchLink, englishLink, invoice, overdue] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function iso(days) {
  const d = new Date(Date.UTC(2026, 10, 25 + days));
  return d.toISOString().slice(0, 10);
}

async function fits(page, what) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 390, `${what} is ${wide}px wide on a 390px phone`);
}

async function shot(page, name) {
  if (process.env.SHOT_DIR) {
    await page.screenshot({ path: `${process.env.SHOT_DIR}/portal-${name}.png`, fullPage: true });
  }
}

async function send(page, section) {
  await page.click(`#${section} > summary`);
  return page.locator(`#${section} form`);
}

async function submitted(page, form) {
  await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').click()]);
  check(page.url().includes('/done/'), `no confirmation page: ${page.url()}`);
  await fits(page, 'the confirmation');
  const receipt = (await page.textContent('#receipt')) || '';
  await page.click('a.button');
  return receipt;
}

try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();

  // 1. The Dutch customer.
  await page.goto(`${base}${dutchLink}`);
  check(await page.getAttribute('html', 'lang') === 'nl', 'the page is not in Dutch');
  await fits(page, 'the page');
  const open = (await page.textContent('#open')) || '';
  check(open.includes(invoice), `invoice ${invoice} is not listed`);
  check(/€\s[\d.]+,\d\d/.test(open), `amounts are not in Dutch: ${open}`);
  check(await page.locator('#pay img.qr').count() === 1, 'no GiroCode');
  const pay = (await page.textContent('#pay')) || '';
  check(pay.includes('IBAN') && pay.includes('Omschrijving'), `how to pay is missing: ${pay}`);
  await shot(page, 'nl');

  let form = await send(page, 'paid');
  await form.locator('input[name=amount]').fill('25,00');
  await form.locator('textarea[name=note]').fill('Vanaf de rekening van de holding');
  let receipt = await submitted(page, form);
  check(/€\s25,00/.test(receipt), `paid: ${receipt}`);

  // A mistake comes back at the field, with the rest kept.
  form = await send(page, 'promise');
  await form.locator('input[name=on]').fill(iso(7));
  await form.locator('input[name=amount]').fill('abc');
  await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').click()]);
  check(await page.locator('#promise[open]').count() === 1, 'the promise form is not open after the mistake');
  check(await page.locator('#promise input[name=amount][aria-invalid=true]').count() === 1, 'the amount is not marked');
  const alert = (await page.textContent('#promise .field-error')) || '';
  check(alert.includes('bedrag'), `the error does not say what to do: ${alert}`);
  form = page.locator('#promise form');
  check(await form.locator('input[name=on]').inputValue() === iso(7), 'the date typed was lost');
  await form.locator('input[name=amount]').fill(overdue);
  receipt = await submitted(page, form);
  check(receipt.includes('Afgesproken'), `promise: ${receipt}`);

  form = await send(page, 'problem');
  await form.locator('select[name=invoice]').selectOption(invoice);
  await form.locator('select[name=reason]').selectOption('wrong_amount');
  await form.locator('textarea[name=note]').fill('De korting van 5% ontbreekt.');
  receipt = await submitted(page, form);
  check(receipt.includes(invoice) && receipt.includes('Bedrag klopt niet'), `problem: ${receipt}`);

  form = await send(page, 'contact');
  await form.locator('select[name=how]').selectOption('phone');
  await form.locator('select[name=when]').selectOption('morning');
  await form.locator('input[name=phone]').fill('06 1234 5678');
  receipt = await submitted(page, form);
  check(receipt.includes('telefonisch'), `contact: ${receipt}`);

  const sent = (await page.textContent('#sent')) || '';
  check(sent.includes('Probleem met factuur') && sent.includes('afgesproken'), `what you told us: ${sent}`);

  // 2. The English customer: switches language, asks for a plan.
  await page.goto(`${base}${englishLink}`);
  const other = page.locator('header a.lang');
  if ((await page.getAttribute('html', 'lang')) === 'nl') {
    await Promise.all([page.waitForNavigation(), other.click()]);
  }
  check(await page.getAttribute('html', 'lang') === 'en', 'the page did not switch to English');
  await fits(page, 'the English page');
  check(((await page.textContent('#actions')) || '').includes('Let us know'), 'not in English');
  form = await send(page, 'plan');
  await form.locator('select[name=instalments]').selectOption('3');
  await form.locator('input[name=first]').fill(iso(10));
  await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').click()]);
  check(page.url().includes('/done/'), `no confirmation of the plan: ${page.url()}`);
  const plan = (await page.textContent('#receipt')) || '';
  check(plan.includes('Agreed') && (await page.locator('#receipt tbody tr').count()) === 3, `plan: ${plan}`);
  await shot(page, 'en-plan');
  await page.click('a.button');
  check(await page.locator('#running-1').count() === 1, 'the plan is not shown on the page');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('a[href*="statement.pdf"]'),
  ]);
  check((download.suggestedFilename() || '').endsWith('.pdf'), 'the statement is not a PDF');
  console.log('portal: ok');
} finally {
  await browser.close();
}

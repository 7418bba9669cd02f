// The customer's personal page in a real browser (issue #6): Debian's
// chromium driven by playwright-core, accessibility checked by axe-core
// (WCAG 2.2 A and AA rules). Run by tests/integration/browser.sh, which
// sets up the data and the server and passes:
//   node portal.mjs BASE_URL TOKEN_A TOKEN_B TOKEN_C OUT_DIR
// Prints one "PASS name" or "FAIL name: why" line per check (the format of
// tests/lib.sh) and exits non-zero when any check failed.
import { anyFailed, axe as axeRun, check, launch, visible } from './lib.mjs';

const [base, tokA, tokB, tokC, outDir] = process.argv.slice(2);
// Keyboard only: Tab until the focused element matches `want` (its text,
// value or label), then return true; false after 80 presses.
async function tabTo(page, want) {
	for (let i = 0; i < 80; i++) {
		await page.keyboard.press('Tab');
		const hit = await page.evaluate((w) => {
			const e = document.activeElement;
			if (!e) return false;
			const label = e.labels && e.labels.length ? e.labels[0].textContent : '';
			const text = (e.textContent || '') + '|' + (e.value || '') + '|' + label;
			return new RegExp(w).test(text);
		}, want);
		if (hit) return true;
	}
	return false;
}

// Screenshots at phone and desktop widths, kept as test artefacts.
async function shots(page, name) {
	for (const [w, h, tag] of [[390, 844, 'phone'], [1280, 900, 'desktop']]) {
		await page.setViewportSize({ width: w, height: h });
		await page.screenshot({ path: `${outDir}/${name}-${tag}.png`, fullPage: true });
	}
	await page.setViewportSize({ width: 390, height: 844 });
}

// The page reflows at 320 CSS pixels (WCAG 1.4.10: 1280 px at 400% zoom).
async function reflows(page, name) {
	const over = await page.evaluate(() =>
		document.documentElement.scrollWidth - document.documentElement.clientWidth);
	check(`reflow_${name}`, over <= 0, `${over}px wider than the viewport`);
}

const browser = await launch();
try {
	// A strict context: the page's own CSP applies; nothing may break it.
	const strict = await browser.newContext({ locale: 'en-GB' });
	const sp = await strict.newPage();
	const cspErrors = [];
	sp.on('console', m => { if (/Content Security Policy|Refused/.test(m.text())) cspErrors.push(m.text()); });
	const external = [];
	sp.on('request', r => { if (!r.url().startsWith(base)) external.push(r.url()); });
	await sp.goto(`${base}/p/${tokA}?lang=en`);
	check('page_title', (await sp.title()).includes('Your account'), await sp.title());
	check('no_csp_violations', cspErrors.length === 0, cspErrors.join('; '));
	check('no_third_party_requests', external.length === 0, external.join(', '));
	const css = await sp.evaluate(() => getComputedStyle(document.querySelector('header.top')).backgroundColor);
	check('brand_colour_applied', css !== 'rgba(0, 0, 0, 0)', css);
	// Keyboard: the first Tab reaches the skip link, which is then visible.
	await sp.keyboard.press('Tab');
	const first = await sp.evaluate(() => document.activeElement.className);
	check('skip_link_first_in_focus_order', first === 'skip', first);
	const skipLeft = await sp.evaluate(() => document.activeElement.getBoundingClientRect().left);
	check('skip_link_visible_on_focus', skipLeft >= 0, `left ${skipLeft}`);
	await sp.screenshot({ path: `${outDir}/case.png`, fullPage: true });
	await strict.close();

	const ctx = await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 390, height: 844 } });
	const page = await ctx.newPage();

	// The case page and every form, checked by axe.
	await page.goto(`${base}/p/${tokA}?lang=en`);
	await axeRun(page, 'case_page');
	await page.setViewportSize({ width: 320, height: 640 });
	await reflows(page, 'case_page');
	await page.setViewportSize({ width: 390, height: 844 });
	for (const sub of ['pay', 'later', 'plan', 'help', 'callback', 'dispute', 'preferences']) {
		await page.goto(`${base}/p/${tokA}/${sub}?lang=en`);
		await axeRun(page, `${sub}_page`);
	}

	// A later date, with a mistake first: the error is announced with the field.
	await page.goto(`${base}/p/${tokA}?lang=en`);
	await page.getByRole('link', { name: 'Choose a later date' }).click();
	await page.getByLabel('The date you will pay by').fill('2027-06-01');
	await page.getByRole('button', { name: 'Confirm this date' }).click();
	await visible(page.locator('#date-error'));
	const describedBy = await page.getByLabel('The date you will pay by').getAttribute('aria-describedby');
	check('later_error_tied_to_field', describedBy === 'date-error', describedBy);
	await axeRun(page, 'later_with_error');
	await page.getByLabel('The date you will pay by').fill('2026-12-10');
	await page.getByRole('button', { name: 'Confirm this date' }).click();
	if (process.env.DEBUG) console.log('DBG', page.url(), await page.textContent('h1'));
	check('later_confirmed', await visible(page.getByRole('heading', { name: 'Your date is saved' })));
	await axeRun(page, 'later_done');

	// Dispute an invoice.
	await page.goto(`${base}/p/${tokA}?lang=en`);
	await page.getByRole('link', { name: 'Something is wrong with an invoice' }).click();
	await page.getByRole('button', { name: 'Send' }).click();
	check('dispute_needs_invoice', await visible(page.locator('#invoice-error')));
	await axeRun(page, 'dispute_with_error');
	await page.getByLabel('2026-0001').check();
	await page.getByLabel(/What is wrong/).fill('I was charged twice for October.');
	await page.getByRole('button', { name: 'Send' }).click();
	check('dispute_received', await visible(page.getByRole('heading', { name: 'We are looking into it' })));

	// An instalment plan, keyboard only: choose, see the schedule, confirm.
	await page.goto(`${base}/p/${tokB}?lang=en`);
	await shots(page, 'case');
	check('kbd_plan_link', await tabTo(page, 'Pay in instalments'));
	await page.keyboard.press('Enter');
	await visible(page.getByLabel('Number of monthly payments'));
	await shots(page, 'plan-form');
	check('kbd_months', await tabTo(page, 'Number of monthly payments'));
	await page.keyboard.press('End');   // the most months offered ...
	for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowUp');
	await page.keyboard.press('ArrowDown');
	await page.keyboard.press('ArrowDown'); // ... back to 4 (2, 3, 4)
	check('kbd_day', await tabTo(page, 'Day of the month you pay'));
	await page.keyboard.type('25');
	check('kbd_preview', await tabTo(page, 'Show my payment plan'));
	await page.keyboard.press('Enter');
	await visible(page.getByRole('button', { name: 'Confirm this plan' }));
	const rows = await page.locator('tbody tr').count();
	check('plan_schedule_shown', rows === 4, `${rows} rows`);
	await axeRun(page, 'plan_preview');
	await shots(page, 'plan-preview');
	check('kbd_confirm', await tabTo(page, 'Confirm this plan'));
	await page.keyboard.press('Enter');
	check('plan_confirmed', await visible(page.getByRole('heading', { name: 'Your payment plan is set up' })));

	// "I need help": reason, words, way of contact (the customer who chose
	// a later date: the console's agent then offers a plan).
	await page.goto(`${base}/p/${tokA}?lang=en`);
	await page.getByRole('link', { name: /I need help/ }).click();
	await shots(page, 'help');
	await page.getByLabel('Illness or health').check();
	await page.getByLabel(/Anything you would like us to know/).fill('In hospital until January.');
	await page.getByLabel('By e-mail').check();
	await page.getByRole('button', { name: 'Send' }).click();
	check('help_received', await visible(page.getByRole('heading', { name: 'We have received your request' })));

	// Pay now through the built-in test provider, keyboard only, and come
	// back.
	await page.goto(`${base}/p/${tokC}?lang=en`);
	check('kbd_pay_link', await tabTo(page, 'Pay now'));
	await page.keyboard.press('Enter');
	await visible(page.getByLabel('Credit or debit card'));
	await shots(page, 'pay');
	check('kbd_method', await tabTo(page, 'iDEAL'));
	await page.keyboard.press('ArrowDown'); // radio group: Bancontact
	await page.keyboard.press('ArrowDown'); // card
	check('kbd_card_chosen', await page.getByLabel('Credit or debit card').isChecked());
	check('kbd_pay_button', await tabTo(page, '^Pay '));
	await page.keyboard.press('Enter');
	check('test_checkout_reached', await visible(page.getByRole('heading', { name: 'Test payment provider' })));
	check('kbd_checkout_pay', await tabTo(page, '^Pay\\|'));
	await page.keyboard.press('Enter');
	check('paid_page', await visible(page.getByRole('heading', { name: 'Thank you for your payment' })));
	await page.goto(`${base}/p/${tokC}?lang=en`);
	await page.waitForLoadState();
	check('case_settled', (await page.textContent('main')).includes('nothing is owed'));
	await axeRun(page, 'settled_page');

	// The language switcher.
	await page.getByRole('link', { name: 'Nederlands' }).click();
	check('switch_to_dutch', (await page.getAttribute('html', 'lang')) === 'nl');
	await ctx.close();
} finally {
	await browser.close();
}
process.exit(anyFailed());

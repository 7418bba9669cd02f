// The team's console in a real browser (issue #9): an agent signs in by
// label, reads the queue, opens a case, adds a note and marks the help
// request done;
// every page and state passes axe-core's WCAG 2.2 A and AA rules, and
// the pages reflow at 320 px. Run by tests/integration/browser.sh:
//   node console.mjs BASE_URL TENANT EMAIL PASSWORD OUT_DIR
// Prints "PASS name" / "FAIL name: why" lines; exits non-zero on a failure.
import { existsSync, writeFileSync } from 'node:fs';
import { anyFailed, axe as axeRun, check, launch, visible } from './lib.mjs';

const [base, tenant, email, password, outDir] = process.argv.slice(2);

async function reflows(page, name) {
	await page.setViewportSize({ width: 320, height: 640 });
	const over = await page.evaluate(() =>
		document.documentElement.scrollWidth - document.documentElement.clientWidth);
	check(`reflow_console_${name}`, over <= 0, `${over}px wider than the viewport`);
	await page.setViewportSize({ width: 1280, height: 900 });
}

const browser = await launch();
try {
	const ctx = await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 1280, height: 900 } });
	const page = await ctx.newPage();
	await page.goto(`${base}/console/${tenant}`);
	check('console_redirects_to_sign_in', await visible(page.getByRole('heading', { name: 'Sign in' })));
	await axeRun(page, 'console_sign_in');
	await page.getByLabel('E-mail address').fill(email);
	await page.getByLabel('Password').fill('not the password at all');
	await page.getByRole('button', { name: 'Sign in' }).click();
	check('wrong_password_announced', await visible(page.getByRole('alert')));
	await axeRun(page, 'console_sign_in_error');
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	check('queue_shown', await visible(page.getByRole('heading', { name: 'Cases that need a person' })));
	await axeRun(page, 'console_queue');
	await reflows(page, 'queue');
	await page.screenshot({ path: `${outDir}/console-queue-desktop.png`, fullPage: true });

	// A payment nothing points to: its review page.
	await page.getByRole('link', { name: 'Payment to match' }).first().click();
	check('review_shown', (await page.textContent('main')).includes('J. Onbekend'));
	await axeRun(page, 'console_review');
	await reflows(page, 'review');
	await page.screenshot({ path: `${outDir}/console-review-desktop.png`, fullPage: true });
	await page.getByRole('link', { name: 'Queue' }).click();

	await page.getByRole('link', { name: 'Asked for help' }).first().click();
	check('case_shown', await visible(page.getByRole('heading', { name: 'Add a note' })));
	await axeRun(page, 'console_case');
	await reflows(page, 'case');
	await page.screenshot({ path: `${outDir}/console-case-desktop.png`, fullPage: true });
	await page.getByLabel('Note').fill('Called: she will pay next week.');
	await page.getByRole('button', { name: 'Add the note' }).click();
	check('note_shown', await visible(page.getByText('Called: she will pay next week.')));
	const caseUrl = page.url();
	// The agent offers a plan on the customer's behalf: three payments on
	// the 28th (the customer receives its confirmation: browser.sh checks
	// the message sent).
	await page.getByLabel('Monthly payments').fill('3');
	await page.getByLabel(/Day of the month/).fill('28');
	await page.getByRole('button', { name: 'Set up the plan' }).click();
	check('plan_offered', await visible(page.getByText(/paused \(plan\)/)));
	await axeRun(page, 'console_case_plan');
	// browser.sh sends the queued messages now (the plan's confirmation
	// goes out before the moratorium below stops all contact).
	writeFileSync(`${outDir}/.plan-offered`, 'ready\n');
	for (let i = 0; i < 300 && !existsSync(`${outDir}/.dispatched`); i++)
		await new Promise((resolve) => setTimeout(resolve, 100));
	check('dispatched_between', existsSync(`${outDir}/.dispatched`));
	// The help request is dealt with: it leaves the queue.
	await page.getByRole('button', { name: 'Mark as done' }).first().click();
	check('request_marked_done', await visible(page.getByText(/help \(done\)/)));
	await axeRun(page, 'console_case_after_actions');
	// A statutory breathing space: no contact until the end of January.
	await page.getByLabel('No contact through').fill('2027-01-31');
	await page.getByRole('button', { name: 'Set the moratorium' }).click();
	check('moratorium_set', await visible(page.getByText(/moratorium until 2027-01-31/)));
	await axeRun(page, 'console_case_moratorium');
	await page.getByRole('link', { name: 'Queue' }).click();
	check('help_left_queue', (await page.getByRole('link', { name: 'Asked for help' }).count()) === 0);

	// Strategies (an agent reads them; only managers change them) and the
	// experiments' page.
	await page.getByRole('link', { name: 'Strategies' }).click();
	await axeRun(page, 'console_strategies');
	await reflows(page, 'strategies');
	const version = page.getByRole('link', { name: /^(Version|v)\s*1\b/ }).first();
	if (await version.count()) {
		await version.click();
		await axeRun(page, 'console_strategy_version');
	}
	await page.getByRole('link', { name: 'Experiments' }).click();
	await axeRun(page, 'console_experiments');
	await reflows(page, 'experiments');
	await page.screenshot({ path: `${outDir}/console-experiments-desktop.png`, fullPage: true });
	// The reports: made fresh, read in the page, checked by browser.sh
	// against the data (the DSO row of the case's currency).
	await page.getByRole('link', { name: 'Reports' }).click();
	await page.getByRole('button', { name: 'Refresh now' }).first().click();
	await page.waitForLoadState();
	check('report_figures_shown', await visible(page.getByRole('table', { name: 'Days sales outstanding by currency' })));
	await axeRun(page, 'console_reports');
	await reflows(page, 'reports');
	await page.screenshot({ path: `${outDir}/console-reports-desktop.png`, fullPage: true });
	const dso = await page.getByRole('table', { name: 'Days sales outstanding by currency' })
		.locator('tbody tr').evaluateAll((rows) => rows.map((r) =>
			Array.from(r.querySelectorAll('th, td')).map((c) => c.textContent.trim())));
	writeFileSync(`${outDir}/.report-dso.json`, JSON.stringify(dso));
	await page.goto(caseUrl);
	await page.getByRole('button', { name: 'Sign out' }).click();
	check('signed_out', await visible(page.getByRole('heading', { name: 'Sign in' })));
	await ctx.close();
} finally {
	await browser.close();
}
process.exit(anyFailed());

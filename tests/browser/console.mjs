// The team's console in a real browser (issue #9): an agent signs in by
// label, reads the queue, opens a case, adds a note and pauses dunning;
// every page and state passes axe-core's WCAG 2.2 A and AA rules, and
// the pages reflow at 320 px. Run by tests/integration/browser.sh:
//   node console.mjs BASE_URL TENANT EMAIL PASSWORD OUT_DIR
// Prints "PASS name" / "FAIL name: why" lines; exits non-zero on a failure.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [base, tenant, email, password, outDir] = process.argv.slice(2);
let failed = 0;

function check(name, ok, why) {
	if (ok) {
		console.log(`PASS ${name}`);
	} else {
		failed = 1;
		console.log(`FAIL ${name}${why ? ': ' + why : ''}`);
	}
}

async function visible(locator) {
	try {
		await locator.waitFor({ state: 'visible', timeout: 5000 });
		return true;
	} catch {
		return false;
	}
}

async function axe(page, name) {
	await page.addScriptTag({ content: axeSource });
	const result = await page.evaluate(async () =>
		await window.axe.run(document, {
			runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
		}));
	const v = result.violations.map(x => `${x.id} (${x.nodes.length}): ${x.nodes[0].target}`);
	check(`axe_console_${name}`, v.length === 0, v.join('; '));
}

async function reflows(page, name) {
	await page.setViewportSize({ width: 320, height: 640 });
	const over = await page.evaluate(() =>
		document.documentElement.scrollWidth - document.documentElement.clientWidth);
	check(`reflow_console_${name}`, over <= 0, `${over}px wider than the viewport`);
	await page.setViewportSize({ width: 1280, height: 900 });
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
	const ctx = await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 1280, height: 900 } });
	const page = await ctx.newPage();
	await page.goto(`${base}/console/${tenant}`);
	check('console_redirects_to_sign_in', await visible(page.getByRole('heading', { name: 'Sign in' })));
	await axe(page, 'sign_in');
	await page.getByLabel('E-mail address').fill(email);
	await page.getByLabel('Password').fill('not the password at all');
	await page.getByRole('button', { name: 'Sign in' }).click();
	check('wrong_password_announced', await visible(page.getByRole('alert')));
	await axe(page, 'sign_in_error');
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	check('queue_shown', await visible(page.getByRole('heading', { name: 'Cases that need a person' })));
	await axe(page, 'queue');
	await reflows(page, 'queue');
	await page.screenshot({ path: `${outDir}/console-queue-desktop.png`, fullPage: true });

	await page.getByRole('link', { name: 'Asked for help' }).first().click();
	check('case_shown', await visible(page.getByRole('heading', { name: 'Add a note' })));
	await axe(page, 'case');
	await reflows(page, 'case');
	await page.screenshot({ path: `${outDir}/console-case-desktop.png`, fullPage: true });
	await page.getByLabel('Note').fill('Called: she will pay next week.');
	await page.getByRole('button', { name: 'Add the note' }).click();
	check('note_shown', await visible(page.getByText('Called: she will pay next week.')));
	// The help request is dealt with: it leaves the queue.
	await page.getByRole('button', { name: 'Mark as done' }).first().click();
	check('request_marked_done', await visible(page.getByText(/help \(done\)/)));
	await axe(page, 'case_after_actions');
	await page.getByRole('link', { name: 'Queue' }).click();
	check('help_left_queue', (await page.getByRole('link', { name: 'Asked for help' }).count()) === 0);
	await page.getByRole('button', { name: 'Sign out' }).click();
	check('signed_out', await visible(page.getByRole('heading', { name: 'Sign in' })));
	await ctx.close();
} finally {
	await browser.close();
}
process.exit(failed);

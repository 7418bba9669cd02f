// Shared by the browser tests (portal.mjs, console.mjs): the PASS/FAIL
// lines of tests/lib.sh, waiting for what a click loads, axe-core's WCAG
// 2.2 A/AA rules on the page as it is, and Debian's chromium started the
// way this machine needs (no background networking: the network is
// closed).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
let failed = 0;

export function check(name, ok, why) {
	if (ok) {
		console.log(`PASS ${name}`);
	} else {
		failed = 1;
		console.log(`FAIL ${name}${why ? ': ' + why : ''}`);
	}
}

export function anyFailed() {
	return failed;
}

// Whether the locator shows up within a few seconds (a click that
// submits a form returns before the next page has loaded).
export async function visible(locator) {
	try {
		await locator.waitFor({ state: 'visible', timeout: 5000 });
		return true;
	} catch {
		return false;
	}
}

// axe-core on the page as it is (the context must bypass the page's CSP
// so that the script can be injected).
export async function axe(page, name) {
	await page.addScriptTag({ content: axeSource });
	const result = await page.evaluate(async () =>
		await window.axe.run(document, {
			runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
		}));
	const v = result.violations.map(x => `${x.id} (${x.nodes.length}): ${x.nodes[0].target}`);
	check(`axe_${name}`, v.length === 0, v.join('; '));
}

export async function launch() {
	return chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
}

/*
 * console_report: the reports pages of the team's console (issue #9).
 *
 *   GET  /console/{tenant}/reports            the reports, one section per
 *        [?currency=EUR]                       figure: a chart (svgchart)
 *                                              beside a table, a CSV link
 *   POST /console/{tenant}/reports            "Refresh now" (CSRF): rebuild
 *                                              the figures, back to the page
 *   GET  /console/{tenant}/reports/{name}.csv  one figure as CSV (report.h)
 *
 * The page reads only the tenant's rolled-up rows (report_load), so it
 * answers at once whatever the number of cases; it says when they were
 * made ("as of"). A refresh runs in the request (a few seconds on a
 * million cases, see bench/README.md) and is refused within a minute of
 * the previous one. Same conventions as the rest of the console
 * (console_page.h): signed-in operators only, markup literals of this
 * file, every value escaped, no scripts, no style attributes.
 */
#ifndef DUNWELL_CONSOLE_REPORT_H
#define DUNWELL_CONSOLE_REPORT_H

#include "http.h"

#define CONSOLE_REPORT_ROWS_MAX 50     /* table rows per currency shown on
					  the page (the CSV has them all) */
#define CONSOLE_REPORT_BARS_MAX 20     /* bars per chart */
#define CONSOLE_REPORT_COHORTS_MAX 12  /* lines in the cohort chart */
#define CONSOLE_REPORT_REFRESH_GAP 60  /* seconds between two refreshes */

void console_reports(const struct http_request *req,
		     struct http_response *resp);
void console_reports_refresh(const struct http_request *req,
			     struct http_response *resp);
void console_report_csv(const struct http_request *req,
			struct http_response *resp);

#endif

/*
 * console_strategy: the console's strategy and experiment pages (issue #9).
 *
 *   GET  /console/{tenant}/strategies            the active version and
 *                                                every version, with who
 *                                                saved or activated it
 *   GET  /console/{tenant}/strategies/{version}  its YAML in a text area;
 *                                                managers and admins get
 *                                                "Validate and preview",
 *                                                "Save as new version" and
 *                                                "Activate" (agents read)
 *   POST /console/{tenant}/strategies/{version}  action=preview | save |
 *                                                activate
 *   GET  /console/{tenant}/experiments           each experiment's
 *                                                variants compared
 *
 * A strategy is checked by the loader itself (strategy_set_parse, as
 * `dunwell strategy load` and the API's upload check it); an error is
 * shown in place: the message with its line, the text kept in the text
 * area (aria-describedby pointing at the message) and the lines around
 * the error numbered with the bad one marked. The preview is
 * simulate_messages over the tenant's open cases for the next
 * CONSOLE_PREVIEW_DAYS days, at most CONSOLE_PREVIEW_CASES cases. Saving
 * adds a version that is not active; activating makes a saved version
 * the active one; both are recorded in strategy_changes with the
 * operator and the time (there is no case to log them on).
 */
#ifndef DUNWELL_CONSOLE_STRATEGY_H
#define DUNWELL_CONSOLE_STRATEGY_H

#include "http.h"

#define CONSOLE_PREVIEW_DAYS 60          /* days the preview covers */
#define CONSOLE_PREVIEW_CASES 20000      /* cases the preview simulates */
#define CONSOLE_STRATEGY_TEXT_MAX (256 * 1024) /* bytes of YAML in a form */
#define CONSOLE_VERSIONS_MAX 500         /* versions listed */

void console_strategies(const struct http_request *req,
			struct http_response *resp);
void console_strategy(const struct http_request *req,
		      struct http_response *resp);
void console_strategy_post(const struct http_request *req,
			   struct http_response *resp);
void console_experiments(const struct http_request *req,
			 struct http_response *resp);

#endif

/*
 * api_resources: the JSON API v1's resources beyond customers, invoices,
 * cases and payments (api.c): a case's actions, messages and events, the
 * tenant's strategy versions, its own templates, its branding (the
 * profile keys of its look and contacts) and its webhook endpoints.
 * docs/api.md is the contract, docs/openapi.json lists the routes, the
 * route table is serve.c's.
 *
 * The conventions are api.c's (api_util.h): a key's tenant scopes every
 * store call (another tenant's id answers 404), the error object, strict
 * bodies (an unknown field or a wrong type is 400 naming the field),
 * Idempotency-Key on every POST. Writes are checked exactly as the
 * command line checks them (strategy_set_parse, compose_check_source,
 * profile_check, http_client_check_url and webhook_events_parse) and
 * write nothing when one check fails. Changing the tenant's
 * configuration (strategies, templates, branding, webhook endpoints)
 * needs the admin scope; reading it, read.
 */
#ifndef DUNWELL_API_RESOURCES_H
#define DUNWELL_API_RESOURCES_H

#include "http.h"

#define API_TEMPLATE_MAX (256 * 1024) /* bytes of a template's source, as
					 `dunwell template load` reads */
#define API_TEMPLATE_ID_MAX 64        /* bytes of a template id */
#define API_SOURCE_NAME_MAX 128       /* bytes of a strategy's file name */

/* A case's parts (read): GET /v1/cases/{id}/actions, .../messages,
 * .../events. */
void api_case_actions(const struct http_request *req,
		      struct http_response *resp);
void api_case_messages(const struct http_request *req,
		       struct http_response *resp);
void api_case_events(const struct http_request *req,
		     struct http_response *resp);

/* Strategy versions: GET /v1/strategies, GET /v1/strategies/{version}
 * (read); POST /v1/strategies, POST /v1/strategies/{version}/activate
 * (admin). */
void api_strategies_list(const struct http_request *req,
			 struct http_response *resp);
void api_strategy_get(const struct http_request *req,
		      struct http_response *resp);
void api_strategy_post(const struct http_request *req,
		       struct http_response *resp);
void api_strategy_activate(const struct http_request *req,
			   struct http_response *resp);

/* The tenant's own templates: POST /v1/templates (admin),
 * GET /v1/templates/{locale}/{id} (read). */
void api_template_post(const struct http_request *req,
		       struct http_response *resp);
void api_template_get(const struct http_request *req,
		      struct http_response *resp);

/* Branding: GET /v1/branding (read), POST /v1/branding (admin). */
void api_branding_get(const struct http_request *req,
		      struct http_response *resp);
void api_branding_post(const struct http_request *req,
		       struct http_response *resp);

/* Webhook endpoints: GET /v1/webhook_endpoints (read),
 * POST /v1/webhook_endpoints (admin). */
void api_webhook_endpoints_list(const struct http_request *req,
				struct http_response *resp);
void api_webhook_endpoint_post(const struct http_request *req,
			       struct http_response *resp);

/* A failed automatic charge: POST /v1/charges/failed (write); see
 * charge.h and docs/charges.md. */
void api_charge_failed_post(const struct http_request *req,
			    struct http_response *resp);

#endif

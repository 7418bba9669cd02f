/*
 * api_resources: the handlers of a case's actions, messages and events,
 * strategy versions, templates, branding and webhook endpoints (see
 * api_resources.h and docs/api.md).
 *
 * Every handler authenticates first (api_authenticate), reads its path,
 * query or body, checks every field before anything is written, and
 * answers with JSON built by jansson. POST handlers run behind
 * api_idempotent(). The checks are the command line's own functions, so
 * an upload through the API and `dunwell strategy load`, `template load`,
 * `tenant set` or `webhook add` accept and refuse the same things with the
 * same messages.
 */
#include "api_resources.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "api_util.h"
#include "charge.h"
#include "compose.h"
#include "dispatch.h"
#include "http_client.h"
#include "import.h"
#include "money.h"
#include "profile.h"
#include "serve.h"
#include "store.h"
#include "strategy.h"
#include "token.h"
#include "webhook.h"

#define WEBHOOK_SECRET_SHOWN 10 /* "whsec_" and 4 characters of it */

/* ---- a case's actions, messages and events ------------------------------ */

/* The case named by the path's {id}, of the key's tenant: 0, or < 0 after
 * answering 404 (no such case, or another tenant's) or 500. */
static int case_of(const struct http_request *req, struct http_response *resp,
		   const struct api_auth *a, int64_t *ret_id)
{
	struct case_rec c;
	int64_t id;
	struct err e;
	int r;

	err_clear(&e);
	memset(&c, 0, sizeof(c));
	if (api_id_parse(http_param(req, "id"), &id) < 0) {
		api_missing(resp, "case", "id");
		return -ERR_NOTFOUND;
	}
	r = store_case_get(serve_store(req), a->tenant_id, id, &c, &e);
	if (r == -ERR_NOTFOUND) {
		api_missing(resp, "case", "id");
		return r;
	}
	if (r < 0) {
		api_fail(req, resp, "reading a case", &e);
		return r;
	}
	free(c.strategy);
	*ret_id = id;
	return 0;
}

/* A page of a case's timeline rows of one kind ("event" or "action"),
 * numbered 1, 2, ... in the timeline's order. */
struct history_page {
	const char *what;   /* the rows kept: "event" or "action" */
	int64_t after;      /* the cursor: rows numbered up to it are skipped */
	int limit;          /* rows on the page at most */
	int64_t n;          /* rows of `what` seen so far */
	int more;           /* a row after the page exists */
	json_t *data;       /* the page */
};

/* store_case_history's callback: one row onto the page. */
static int history_page_row(void *ctx, const struct history_rec *h)
{
	struct history_page *p = ctx;
	char id[24];
	json_t *o, *detail;

	if (strcmp(h->what, p->what) != 0)
		return 0;
	p->n++;
	if (p->n <= p->after)
		return 0;
	if (json_array_size(p->data) >= (size_t)p->limit) {
		p->more = 1;
		return 0;
	}
	snprintf(id, sizeof(id), "%lld", (long long)p->n);
	if (strcmp(p->what, "event") == 0) {
		/* An event's detail is a small JSON object. */
		detail = json_loads(h->detail ? h->detail : "{}", 0, NULL);
		if (!detail)
			detail = json_object();
		o = json_pack("{s:s, s:s, s:s, s:o, s:o}", "object", "event",
			      "id", id, "kind", h->kind, "at",
			      api_instant_json(h->at), "detail", detail);
	} else {
		o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:s,"
			      " s:s}",
			      "object", "action", "id", id, "step", h->step,
			      "kind", h->kind, "channel",
			      api_str_or_null(h->channel), "decided_at",
			      api_instant_json(h->at), "decided_on",
			      api_date_json(h->on), "amount",
			      (json_int_t)h->amount_minor, "currency",
			      h->currency ? h->currency : "", "detail",
			      h->detail ? h->detail : "");
	}
	json_array_append_new(p->data, o);
	return 0;
}

/*
 * GET /v1/cases/{id}/actions and .../events: the case's rows of `what`
 * from its timeline (store_case_history), numbered from 1 in the
 * timeline's order; `starting_after` is such a number. A case's history
 * only grows, in order of time, so the numbers stay put.
 */
static void case_history_list(const struct http_request *req,
			      struct http_response *resp, const char *what)
{
	struct history_page p;
	struct api_auth a;
	const char *after;
	int64_t case_id;
	struct err e;
	int limit;

	err_clear(&e);
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0 ||
	    api_page_params(req, resp, &limit, &after) < 0 ||
	    case_of(req, resp, &a, &case_id) < 0)
		return;
	memset(&p, 0, sizeof(p));
	p.what = what;
	p.limit = limit;
	if (*after && api_id_parse(after, &p.after) < 0) {
		api_bad_request(resp, "parameter_invalid",
				"starting_after must be the id of an entry of "
				"the list.", "starting_after");
		return;
	}
	p.data = json_array();
	if (store_case_history(serve_store(req), a.tenant_id, case_id,
			       history_page_row, &p, &e) < 0) {
		json_decref(p.data);
		api_fail(req, resp, "reading a case's history", &e);
		return;
	}
	api_send_json(resp, 200, json_pack("{s:s, s:o, s:b}", "object", "list",
					   "data", p.data, "has_more",
					   p.more));
}

void api_case_actions(const struct http_request *req,
		      struct http_response *resp)
{
	case_history_list(req, resp, "action");
}

void api_case_events(const struct http_request *req,
		     struct http_response *resp)
{
	case_history_list(req, resp, "event");
}

/* A message as JSON: never its link (token hash), idempotency key or
 * lease. */
static json_t *message_json(const struct message_rec *m)
{
	char id[24];
	json_t *o;

	snprintf(id, sizeof(id), "%lld", (long long)m->id);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "object", "message",
		      "id", id, "channel", m->channel ? m->channel : "",
		      "step", m->step ? m->step : "", "status",
		      m->status ? m->status : "", "attempts",
		      (json_int_t)m->attempts);
	json_object_set_new(o, "template", api_str_or_null(m->template_id));
	json_object_set_new(o, "provider", api_str_or_null(m->provider));
	json_object_set_new(o, "provider_id",
			    api_str_or_null(m->provider_id));
	json_object_set_new(o, "last_error", api_str_or_null(m->last_error));
	json_object_set_new(o, "created_at", api_instant_json(m->created_at));
	json_object_set_new(o, "sent_at", api_instant_json(m->sent_at));
	return o;
}

/* GET /v1/cases/{id}/messages: the case's messages, oldest (lowest id)
 * first; `starting_after` is a message id. */
void api_case_messages(const struct http_request *req,
		       struct http_response *resp)
{
	struct message_rec *list = NULL;
	struct api_auth a;
	const char *after;
	int64_t case_id, after_id = 0;
	size_t n = 0, i;
	struct err e;
	json_t *data;
	int limit;

	err_clear(&e);
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0 ||
	    api_page_params(req, resp, &limit, &after) < 0 ||
	    case_of(req, resp, &a, &case_id) < 0)
		return;
	if (*after && api_id_parse(after, &after_id) < 0) {
		api_bad_request(resp, "parameter_invalid",
				"starting_after must be a message id.",
				"starting_after");
		return;
	}
	if (store_case_messages(serve_store(req), a.tenant_id, case_id, &list,
				&n, &e) < 0) {
		api_fail(req, resp, "reading a case's messages", &e);
		return;
	}
	data = json_array();
	for (i = 0; i < n && json_array_size(data) < (size_t)limit; i++)
		if (list[i].id > after_id)
			json_array_append_new(data, message_json(&list[i]));
	/* the list is by id: anything after i is past the page */
	while (i < n && list[i].id <= after_id)
		i++;
	api_send_json(resp, 200, json_pack("{s:s, s:o, s:b}", "object", "list",
					   "data", data, "has_more", i < n));
	message_list_free(list, n);
}

/* ---- strategies --------------------------------------------------------- */

/* A strategy version as JSON; with its YAML text when `full`. */
static json_t *strategy_json(const struct strategy_version_rec *v, int full)
{
	json_t *o = json_pack("{s:s, s:i, s:s, s:b}", "object",
			      "strategy_version", "version", v->version,
			      "source", v->source ? v->source : "", "active",
			      v->active);

	json_object_set_new(o, "created_at", api_instant_json(v->created_at));
	if (full)
		json_object_set_new(o, "yaml",
				    json_string(v->yaml ? v->yaml : ""));
	return o;
}

/* The names and step counts of a parsed set, for the answer to an
 * upload (what `dunwell strategy check` prints). */
static json_t *strategy_set_json(const struct strategy_set *set)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < set->n_strategies; i++)
		json_array_append_new(arr, json_pack(
			"{s:s, s:I}", "name", set->strategies[i].name, "steps",
			(json_int_t)set->strategies[i].n_steps));
	return arr;
}

/*
 * GET /v1/strategies: the tenant's versions, oldest first, by version;
 * `starting_after` is a version number. Versions are numbered 1, 2, ...
 * without gaps (store_strategy_add takes the highest + 1 and none is ever
 * deleted), and the store has no listing of them, so a page is read one
 * version at a time until the first that does not exist.
 */
void api_strategies_list(const struct http_request *req,
			 struct http_response *resp)
{
	struct store *s = serve_store(req);
	struct api_auth a;
	const char *after;
	int64_t v = 0;
	struct err e;
	json_t *data;
	int limit, more = 0, r;

	err_clear(&e);
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0 ||
	    api_page_params(req, resp, &limit, &after) < 0)
		return;
	if (*after && (api_id_parse(after, &v) < 0 || v > 1000000)) {
		api_bad_request(resp, "parameter_invalid",
				"starting_after must be a version number.",
				"starting_after");
		return;
	}
	data = json_array();
	for (v++; v <= 1000000; v++) {
		struct strategy_version_rec sv;
		memset(&sv, 0, sizeof(sv));
		r = store_strategy_get(s, a.tenant_id, (int)v, &sv, &e);
		if (r == -ERR_NOTFOUND)
			break;
		if (r < 0) {
			json_decref(data);
			api_fail(req, resp, "reading a strategy version", &e);
			return;
		}
		if (json_array_size(data) >= (size_t)limit) {
			more = 1;
			strategy_version_rec_clear(&sv);
			break;
		}
		json_array_append_new(data, strategy_json(&sv, 0));
		strategy_version_rec_clear(&sv);
	}
	api_send_json(resp, 200, json_pack("{s:s, s:o, s:b}", "object", "list",
					   "data", data, "has_more", more));
}

/* The version named by the path: 0, or < 0 after answering 404/500. */
static int strategy_of(const struct http_request *req,
		       struct http_response *resp, const struct api_auth *a,
		       struct strategy_version_rec *ret)
{
	int64_t v;
	struct err e;
	int r;

	err_clear(&e);
	memset(ret, 0, sizeof(*ret));
	if (api_id_parse(http_param(req, "version"), &v) < 0 || v > 1000000) {
		api_missing(resp, "strategy version", "version");
		return -ERR_NOTFOUND;
	}
	r = store_strategy_get(serve_store(req), a->tenant_id, (int)v, ret,
			       &e);
	if (r == -ERR_NOTFOUND)
		api_missing(resp, "strategy version", "version");
	else if (r < 0)
		api_fail(req, resp, "reading a strategy version", &e);
	return r;
}

void api_strategy_get(const struct http_request *req,
		      struct http_response *resp)
{
	struct strategy_version_rec sv;
	struct api_auth a;

	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0 ||
	    strategy_of(req, resp, &a, &sv) < 0)
		return;
	api_send_json(resp, 200, strategy_json(&sv, 1));
	strategy_version_rec_clear(&sv);
}

/* Check `yaml` as `dunwell strategy load` does; answers 400 naming
 * "yaml" with the parser's file:line:column message (< 0). */
static int strategy_check(struct http_response *resp, const char *source,
			  const char *yaml, struct strategy_set **ret)
{
	char msg[API_MSG_MAX + ERR_MSG_MAX];
	struct err e;
	int r;

	err_clear(&e);
	r = strategy_set_parse(source, yaml, strlen(yaml), ret, &e);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "%s", e.msg[0] ? e.msg :
			 "the strategy does not load");
		api_bad_request(resp, "strategy_invalid", msg, "yaml");
	}
	return r;
}

/* Add a version (and make it the active one when `activate`) in one
 * transaction: *ret_version. */
static int strategy_add(struct store *s, int64_t tenant_id,
			const char *source, const char *yaml, int activate,
			int *ret_version, struct err *e)
{
	int r = store_begin(s, e);

	if (r == 0)
		r = store_strategy_add(s, tenant_id, source, yaml, activate,
				       ret_version, e);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0)
		store_rollback(s);
	return r;
}

/* The new version as stored, with the set's strategies: 201. */
static void strategy_created(const struct http_request *req,
			     struct http_response *resp, int64_t tenant_id,
			     int version, const struct strategy_set *set,
			     int64_t copied_from)
{
	struct strategy_version_rec sv;
	struct err e;
	json_t *o;

	err_clear(&e);
	memset(&sv, 0, sizeof(sv));
	if (store_strategy_get(serve_store(req), tenant_id, version, &sv,
			       &e) < 0) {
		api_fail(req, resp, "reading a new strategy version", &e);
		return;
	}
	o = strategy_json(&sv, 0);
	json_object_set_new(o, "strategies", strategy_set_json(set));
	if (copied_from > 0)
		json_object_set_new(o, "copied_from",
				    json_integer((json_int_t)copied_from));
	api_send_json(resp, 201, o);
	strategy_version_rec_clear(&sv);
}

/*
 * POST /v1/strategies {"yaml", "source", "activate"}: a new version,
 * checked as `dunwell strategy load` checks a file (strategy_set_parse)
 * and active unless "activate" is false. Nothing is written when it does
 * not load.
 */
static void strategy_post(const struct http_request *req,
			  struct http_response *resp, const struct api_auth *a)
{
	static const char *const fields[] = { "yaml", "source", "activate",
					      NULL };
	struct strategy_set *set = NULL;
	const char *yaml, *source;
	json_t *act, *o = api_json_body(req, resp);
	int bad = 0, activate = 1, version = 0;
	struct err e;

	if (!o)
		return;
	err_clear(&e);
	if (api_fields_known(resp, o, fields, "") < 0)
		goto out;
	yaml = api_str_field(resp, o, "yaml", "", HTTP_BODY_MAX, 1, &bad);
	source = api_str_field(resp, o, "source", "", API_SOURCE_NAME_MAX, 0,
			       &bad);
	if (bad)
		goto out;
	if (!source || !*source)
		source = "api.yaml";
	if (strchr(source, '/') || strcspn(source, "\r\n\t") != strlen(source)) {
		api_bad_request(resp, "parameter_invalid", "source must be a "
				"file name, without '/' or control characters.",
				"source");
		goto out;
	}
	act = json_object_get(o, "activate");
	if (act && !json_is_null(act)) {
		if (!json_is_boolean(act)) {
			api_bad_request(resp, "parameter_invalid",
					"activate must be true or false.",
					"activate");
			goto out;
		}
		activate = json_is_true(act);
	}
	if (strategy_check(resp, source, yaml, &set) < 0)
		goto out;
	if (strategy_add(serve_store(req), a->tenant_id, source, yaml,
			 activate, &version, &e) < 0) {
		api_fail(req, resp, "saving a strategy version", &e);
		goto out;
	}
	strategy_created(req, resp, a->tenant_id, version, set, 0);
out:
	strategy_set_free(set);
	json_decref(o);
}

void api_strategy_post(const struct http_request *req,
		       struct http_response *resp)
{
	struct api_auth a;

	if (api_authenticate(req, resp, API_SCOPE_ADMIN, &a) < 0)
		return;
	api_idempotent(req, resp, &a, strategy_post);
}

/*
 * POST /v1/strategies/{version}/activate: make that version's text the
 * active strategy. The store can add a version (making it active) but
 * not switch the active flag to an older one, so activating version N
 * adds its text, checked again by today's rules, as a new version
 * (201, "copied_from": N): the history of versions only grows, and cases
 * keep the version they were opened under. Activating the active version
 * changes nothing (200).
 */
static void strategy_activate(const struct http_request *req,
			      struct http_response *resp,
			      const struct api_auth *a)
{
	struct strategy_version_rec sv;
	struct strategy_set *set = NULL;
	int version = 0;
	struct err e;

	err_clear(&e);
	if (req->body_len > 0 && strspn(req->body, " \t\r\n") != req->body_len) {
		/* no body is needed; one that is there must be {} */
		json_t *o = api_json_body(req, resp);
		static const char *const none[] = { NULL };
		int r = o ? api_fields_known(resp, o, none, "") : -ERR_INVALID;
		json_decref(o);
		if (r < 0)
			return;
	}
	if (strategy_of(req, resp, a, &sv) < 0)
		return;
	if (sv.active) {
		api_send_json(resp, 200, strategy_json(&sv, 0));
		goto out;
	}
	if (strategy_check(resp, sv.source, sv.yaml, &set) < 0)
		goto out;
	if (strategy_add(serve_store(req), a->tenant_id, sv.source, sv.yaml, 1,
			 &version, &e) < 0) {
		api_fail(req, resp, "activating a strategy version", &e);
		goto out;
	}
	strategy_created(req, resp, a->tenant_id, version, set, sv.version);
out:
	strategy_set_free(set);
	strategy_version_rec_clear(&sv);
}

void api_strategy_activate(const struct http_request *req,
			   struct http_response *resp)
{
	struct api_auth a;

	if (api_authenticate(req, resp, API_SCOPE_ADMIN, &a) < 0)
		return;
	api_idempotent(req, resp, &a, strategy_activate);
}

/* ---- templates ---------------------------------------------------------- */

static json_t *template_json(const char *locale, const char *id,
			     const char *variant, const char *source)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "object", "template",
			 "locale", locale, "id", id, "variant", variant,
			 "source", source);
}

/* A template id as `dunwell template load` takes it from a file name. */
static int template_id_ok(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= API_TEMPLATE_ID_MAX &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* "" or "plain" (NULL: ""); -ERR_INVALID otherwise. */
static int variant_parse(const char *v, const char **ret)
{
	if (!v || !*v)
		*ret = "";
	else if (strcmp(v, "plain") == 0)
		*ret = "plain";
	else
		return -ERR_INVALID;
	return 0;
}

/*
 * POST /v1/templates {"locale", "id", "source", "variant"}: store the
 * tenant's own template, checked as `dunwell template load` checks a
 * file (compose_check_source: errors name LOCALE/ID.tmpl:line). 201 when
 * new, 200 when it replaced the tenant's previous one.
 */
static void template_post(const struct http_request *req,
			  struct http_response *resp, const struct api_auth *a)
{
	static const char *const fields[] = { "locale", "id", "source",
					      "variant", NULL };
	struct store *s = serve_store(req);
	const char *locale, *id, *source, *variant;
	char name[COMPOSE_SOURCE_MAX], msg[API_MSG_MAX + ERR_MSG_MAX];
	char *old = NULL;
	struct compose *c;
	json_t *o = api_json_body(req, resp);
	int bad = 0, exists, r;
	struct err e;

	if (!o)
		return;
	err_clear(&e);
	if (api_fields_known(resp, o, fields, "") < 0)
		goto out;
	locale = api_str_field(resp, o, "locale", "", COMPOSE_LOCALE_MAX - 1, 1,
			       &bad);
	id = api_str_field(resp, o, "id", "", API_TEMPLATE_ID_MAX, 1, &bad);
	source = api_str_field(resp, o, "source", "", API_TEMPLATE_MAX, 1,
			       &bad);
	variant = api_str_field(resp, o, "variant", "", 8, 0, &bad);
	if (bad)
		goto out;
	if (import_locale_problem(locale)) {
		api_invalid(resp, "locale", import_locale_problem(locale), &bad);
		goto out;
	}
	if (!template_id_ok(id)) {
		api_invalid(resp, "id", "the template id may hold a-z, 0-9, '_' "
			    "and '-' only.", &bad);
		goto out;
	}
	if (variant_parse(variant, &variant) < 0) {
		api_invalid(resp, "variant", "variant must be \"\" or "
			    "\"plain\".", &bad);
		goto out;
	}
	snprintf(name, sizeof(name), "%s/%s%s.tmpl", locale, id,
		 *variant ? ".plain" : "");
	c = compose_new(NULL);
	r = compose_check_source(c, name, source, strlen(source), &e);
	compose_free(c);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "%s", e.msg[0] ? e.msg :
			 "the template does not compile");
		api_bad_request(resp, "template_invalid", msg, "source");
		goto out;
	}
	err_clear(&e);
	r = store_template_get(s, a->tenant_id, locale, id, variant, &old, &e);
	if (r < 0 && r != -ERR_NOTFOUND) {
		api_fail(req, resp, "reading a template", &e);
		goto out;
	}
	exists = r == 0;
	free(old);
	if (store_template_put(s, a->tenant_id, locale, id, variant, source,
			       &e) < 0) {
		api_fail(req, resp, "saving a template", &e);
		goto out;
	}
	api_send_json(resp, exists ? 200 : 201,
		      template_json(locale, id, variant, source));
out:
	json_decref(o);
}

void api_template_post(const struct http_request *req,
		       struct http_response *resp)
{
	struct api_auth a;

	if (api_authenticate(req, resp, API_SCOPE_ADMIN, &a) < 0)
		return;
	api_idempotent(req, resp, &a, template_post);
}

/* GET /v1/templates/{locale}/{id}[?variant=plain]: the tenant's own
 * template; 404 when it has none (the built-in one applies then). */
void api_template_get(const struct http_request *req,
		      struct http_response *resp)
{
	const char *locale = http_param(req, "locale");
	const char *id = http_param(req, "id");
	const char *variant;
	struct api_auth a;
	char *source = NULL;
	struct err e;
	int r;

	err_clear(&e);
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0)
		return;
	if (variant_parse(http_query(req, "variant"), &variant) < 0) {
		api_bad_request(resp, "parameter_invalid",
				"variant must be empty or plain.", "variant");
		return;
	}
	if (!locale || !id || strlen(locale) >= COMPOSE_LOCALE_MAX ||
	    !template_id_ok(id)) {
		api_missing(resp, "template", "id");
		return;
	}
	r = store_template_get(serve_store(req), a.tenant_id, locale, id,
			       variant, &source, &e);
	if (r == -ERR_NOTFOUND) {
		api_missing(resp, "template", "id");
		return;
	}
	if (r < 0) {
		api_fail(req, resp, "reading a template", &e);
		return;
	}
	api_send_json(resp, 200, template_json(locale, id, variant, source));
	free(source);
}

/* ---- branding ----------------------------------------------------------- */

/* The profile keys (profile.h) that make the tenant's look and contacts. */
static const char *const branding_keys[] = {
	"brand_color", "email", "phone", "website", "address", "help_phone",
	"help_email", "help_hours", "iban", "bic", "beneficiary", "public_url",
	NULL
};

/* The tenant's branding: each key's stored value, null when not set (a
 * default applies then: see `dunwell tenant show`). */
static int branding_json(struct store *s, int64_t tenant_id, json_t **ret,
			 struct err *e)
{
	struct setting_rec *list = NULL;
	size_t n = 0;
	json_t *o;
	int r = store_settings_get(s, tenant_id, &list, &n, e);

	if (r < 0)
		return r;
	o = json_pack("{s:s}", "object", "branding");
	for (const char *const *k = branding_keys; *k; k++) {
		const char *v = NULL;
		for (size_t i = 0; i < n; i++)
			if (strcmp(list[i].key, *k) == 0)
				v = list[i].value;
		json_object_set_new(o, *k, api_str_or_null(v));
	}
	setting_list_free(list, n);
	*ret = o;
	return 0;
}

void api_branding_get(const struct http_request *req,
		      struct http_response *resp)
{
	struct api_auth a;
	struct err e;
	json_t *o;

	err_clear(&e);
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0)
		return;
	if (branding_json(serve_store(req), a.tenant_id, &o, &e) < 0) {
		api_fail(req, resp, "reading the branding", &e);
		return;
	}
	api_send_json(resp, 200, o);
}

/*
 * POST /v1/branding {key: "value" | "" | null, ...}: set the keys given
 * ("" and null remove one), each checked by profile_check as
 * `dunwell tenant set` checks it; all of them in one transaction, none
 * when one fails. Keys left out keep their value.
 */
static void branding_post(const struct http_request *req,
			  struct http_response *resp, const struct api_auth *a)
{
	struct store *s = serve_store(req);
	char msg[API_MSG_MAX + ERR_MSG_MAX];
	json_t *out, *o = api_json_body(req, resp);
	const char *const *k;
	struct err e;
	int r = 0;

	if (!o)
		return;
	err_clear(&e);
	if (api_fields_known(resp, o, branding_keys, "") < 0)
		goto out;
	for (k = branding_keys; *k; k++) {
		json_t *v = json_object_get(o, *k);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) > PROFILE_VALUE_MAX) {
			snprintf(msg, sizeof(msg), "%s must be a string of at "
				 "most %d bytes, or null.", *k,
				 PROFILE_VALUE_MAX);
			api_bad_request(resp, "parameter_invalid", msg, *k);
			goto out;
		}
		if (profile_check(*k, json_string_value(v), &e) < 0) {
			snprintf(msg, sizeof(msg), "%s", e.msg);
			api_bad_request(resp, "parameter_invalid", msg, *k);
			goto out;
		}
	}
	r = store_begin(s, &e);
	for (k = branding_keys; r == 0 && *k; k++) {
		json_t *v = json_object_get(o, *k);
		const char *val;
		if (!v)
			continue;
		val = json_is_string(v) ? json_string_value(v) : NULL;
		r = store_setting_put(s, a->tenant_id, *k,
				      val && *val ? val : NULL, &e);
	}
	if (r == 0)
		r = store_commit(s, &e);
	if (r < 0) {
		store_rollback(s);
		api_fail(req, resp, "saving the branding", &e);
		goto out;
	}
	if (branding_json(s, a->tenant_id, &out, &e) < 0) {
		api_fail(req, resp, "reading the branding", &e);
		goto out;
	}
	api_send_json(resp, 200, out);
out:
	json_decref(o);
}

void api_branding_post(const struct http_request *req,
		       struct http_response *resp)
{
	struct api_auth a;

	if (api_authenticate(req, resp, API_SCOPE_ADMIN, &a) < 0)
		return;
	api_idempotent(req, resp, &a, branding_post);
}

/* ---- webhook endpoints -------------------------------------------------- */

/* An endpoint as JSON: its secret only as a prefix to tell it apart. */
static json_t *endpoint_json(const struct webhook_endpoint_rec *w)
{
	char id[24], shown[WEBHOOK_SECRET_SHOWN + 4];
	const char *ev = w->events ? w->events : "*";
	json_t *events = json_array();

	while (*ev) {
		size_t n = strcspn(ev, " ");
		if (n)
			json_array_append_new(events, json_stringn(ev, n));
		ev += n;
		ev += strspn(ev, " ");
	}
	snprintf(id, sizeof(id), "%lld", (long long)w->id);
	snprintf(shown, sizeof(shown), "%.*s...", WEBHOOK_SECRET_SHOWN,
		 w->secret ? w->secret : "");
	return json_pack("{s:s, s:s, s:s, s:o, s:b, s:s, s:o}", "object",
			 "webhook_endpoint", "id", id, "url",
			 w->url ? w->url : "", "events", events, "active",
			 w->active, "secret_prefix", shown, "created_at",
			 api_instant_json(w->created_at));
}

/* GET /v1/webhook_endpoints: the tenant's endpoints, oldest first;
 * `starting_after` is an endpoint id. */
void api_webhook_endpoints_list(const struct http_request *req,
				struct http_response *resp)
{
	struct webhook_endpoint_rec *list = NULL;
	struct api_auth a;
	const char *after;
	int64_t after_id = 0;
	size_t n = 0, i, shown = 0;
	struct err e;
	json_t *data;
	int limit, more = 0;

	err_clear(&e);
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0 ||
	    api_page_params(req, resp, &limit, &after) < 0)
		return;
	if (*after && api_id_parse(after, &after_id) < 0) {
		api_bad_request(resp, "parameter_invalid",
				"starting_after must be an endpoint id.",
				"starting_after");
		return;
	}
	if (store_webhook_endpoint_list(serve_store(req), a.tenant_id, &list,
					&n, &e) < 0) {
		api_fail(req, resp, "listing webhook endpoints", &e);
		return;
	}
	data = json_array();
	for (i = 0; i < n; i++) {
		if (list[i].id <= after_id)
			continue;
		if (shown == (size_t)limit) {
			more = 1;
			break;
		}
		json_array_append_new(data, endpoint_json(&list[i]));
		shown++;
	}
	api_send_json(resp, 200, json_pack("{s:s, s:o, s:b}", "object", "list",
					   "data", data, "has_more", more));
	webhook_endpoint_list_free(list, n);
}

/* The "events" member: absent means every event ("*"); else a non-empty
 * list of event names, checked by webhook_events_parse. Answers 400
 * itself (< 0). */
static int endpoint_events(struct http_response *resp, json_t *o,
			   char ret[WEBHOOK_EVENTS_MAX])
{
	char param[API_PARAM_MAX], msg[API_MSG_MAX + ERR_MSG_MAX];
	json_t *arr = json_object_get(o, "events"), *v;
	struct buf text;
	struct err e;
	size_t i;
	int r = 0;

	err_clear(&e);
	if (!arr || json_is_null(arr))
		return webhook_events_parse("*", ret, NULL);
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > 64) {
		api_bad_request(resp, "parameter_invalid", "events must be a "
				"list of 1 to 64 event names, or [\"*\"].",
				"events");
		return -ERR_INVALID;
	}
	buf_init(&text, WEBHOOK_EVENTS_MAX * 2);
	json_array_foreach(arr, i, v) {
		const char *name = json_is_string(v) ? json_string_value(v) : "";
		snprintf(param, sizeof(param), "events[%zu]", i);
		if (!*name || strcspn(name, " ,") != strlen(name)) {
			api_bad_request(resp, "parameter_invalid", "an event "
					"must be one event name such as "
					"invoice.paid, or \"*\".", param);
			r = -ERR_INVALID;
			break;
		}
		/* one name at a time, so the error names its index */
		r = webhook_events_parse(name, ret, &e);
		if (r < 0) {
			snprintf(msg, sizeof(msg), "unknown event '%.64s'.",
				 name);
			api_bad_request(resp, "parameter_invalid", msg, param);
			break;
		}
		if ((text.len && buf_putc(&text, ' ') < 0) ||
		    buf_puts(&text, name) < 0) {
			r = -ERR_TOOBIG;
			break;
		}
	}
	if (r == 0 && webhook_events_parse(buf_cstr(&text), ret, &e) < 0) {
		snprintf(msg, sizeof(msg), "events: the list is longer than %d "
			 "bytes.", WEBHOOK_EVENTS_MAX - 1);
		api_bad_request(resp, "parameter_invalid", msg, "events");
		r = -ERR_INVALID;
	} else if (r == -ERR_TOOBIG) {
		api_bad_request(resp, "parameter_invalid", "events: the list is "
				"too long.", "events");
		r = -ERR_INVALID;
	}
	buf_free(&text);
	return r;
}

/*
 * POST /v1/webhook_endpoints {"url", "events"}: add an endpoint, checked
 * as `dunwell webhook add` checks one (http_client_check_url,
 * webhook_events_parse). The answer (201) holds the signing secret: the
 * only time it is shown.
 */
static void endpoint_post(const struct http_request *req,
			  struct http_response *resp, const struct api_auth *a)
{
	static const char *const fields[] = { "url", "events", NULL };
	char events[WEBHOOK_EVENTS_MAX], msg[API_MSG_MAX + ERR_MSG_MAX];
	char token[TOKEN_BUF], secret[TOKEN_BUF + 8];
	struct webhook_endpoint_rec w;
	const char *url;
	json_t *out, *o = api_json_body(req, resp);
	int64_t id;
	int bad = 0;
	struct err e;

	if (!o)
		return;
	err_clear(&e);
	if (api_fields_known(resp, o, fields, "") < 0)
		goto out;
	url = api_str_field(resp, o, "url", "", STORE_TEXT_MAX, 1, &bad);
	if (bad)
		goto out;
	if (http_client_check_url(url, "url", &e) < 0) {
		snprintf(msg, sizeof(msg), "%s", e.msg);
		api_bad_request(resp, "parameter_invalid", msg, "url");
		goto out;
	}
	if (endpoint_events(resp, o, events) < 0)
		goto out;
	if (token_new(token, &e) < 0) {
		api_fail(req, resp, "making a webhook secret", &e);
		goto out;
	}
	snprintf(secret, sizeof(secret), "%s%s", WEBHOOK_SECRET_PREFIX, token);
	explicit_bzero(token, sizeof(token));
	if (store_webhook_endpoint_add(serve_store(req), a->tenant_id, url,
				       secret, events, req->now, &id, &e) < 0) {
		explicit_bzero(secret, sizeof(secret));
		api_fail(req, resp, "adding a webhook endpoint", &e);
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.id = id;
	w.tenant_id = a->tenant_id;
	w.url = (char *)url;
	w.secret = secret;
	w.events = events;
	w.active = 1;
	w.created_at = req->now;
	out = endpoint_json(&w);
	json_object_set_new(out, "secret", json_string(secret));
	explicit_bzero(secret, sizeof(secret));
	api_send_json(resp, 201, out);
out:
	json_decref(o);
}

void api_webhook_endpoint_post(const struct http_request *req,
			       struct http_response *resp)
{
	struct api_auth a;

	if (api_authenticate(req, resp, API_SCOPE_ADMIN, &a) < 0)
		return;
	api_idempotent(req, resp, &a, endpoint_post);
}

/* ---- failed automatic charges (issue #7, docs/charges.md) ---------------- */

/* The charge as JSON; customer and invoice as the request named them. */
static json_t *charge_json(const struct charge_rec *c, const char *customer,
			   const char *invoice)
{
	char next[DATE_FMT_MAX], failed[DATE_FMT_MAX];
	json_t *o;

	date_format(c->failed_on, failed);
	o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, "
		      "s:s, s:i, s:s}",
		      "object", "charge", "id", (json_int_t)c->id, "customer",
		      customer, "invoice", invoice, "provider", c->provider,
		      "payment_id", c->payment_id, "amount",
		      (json_int_t)c->amount_minor, "currency", c->currency,
		      "status", c->status, "failure_code", c->failure_code,
		      "decline", c->decline_class, "attempts", c->attempts,
		      "failed_on", failed);
	if (c->next_attempt_on != DATE_NONE) {
		date_format(c->next_attempt_on, next);
		json_object_set_new(o, "next_attempt_on", json_string(next));
	} else {
		json_object_set_new(o, "next_attempt_on", json_null());
	}
	json_object_set_new(o, "case", c->case_id ? json_integer(c->case_id)
						  : json_null());
	return o;
}

/* The field an error of charge_record_failure names ("invoice: ..."),
 * or NULL. */
static const char *charge_param(const char *msg)
{
	static const char *const names[] = { "customer", "invoice", "amount",
		"currency", "provider", "payment_id", NULL };

	for (size_t i = 0; names[i]; i++) {
		size_t n = strlen(names[i]);
		if (!strncmp(msg, names[i], n) && msg[n] == ':')
			return names[i];
	}
	return NULL;
}

/*
 * POST /v1/charges/failed: the tenant's billing system reports a failed
 * automatic charge (charge_record_failure: recorded once per provider
 * payment id, the invoice open, a case opened, retries planned).
 */
static void charge_failed_post(const struct http_request *req,
			       struct http_response *resp,
			       const struct api_auth *a)
{
	static const char *const fields[] = { "customer", "invoice", "amount",
		"currency", "provider", "payment_id", "customer_ref", "mandate",
		"failure_code", "failed_at", NULL };
	struct store *s = serve_store(req);
	struct charge_failure f;
	struct charge_rec c;
	struct tenant_rec t;
	json_t *amount, *o = api_json_body(req, resp);
	const char *failed_at, *param;
	int bad = 0, created = 0, r;
	struct err e;

	if (!o)
		return;
	err_clear(&e);
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	memset(&t, 0, sizeof(t));
	if (api_fields_known(resp, o, fields, "") < 0)
		goto out;
	f.customer = api_str_field(resp, o, "customer", "", STORE_ID_MAX, 1,
				   &bad);
	f.invoice = api_str_field(resp, o, "invoice", "", STORE_ID_MAX, 1, &bad);
	f.currency = api_str_field(resp, o, "currency", "", 3, 1, &bad);
	f.provider = api_str_field(resp, o, "provider", "", 16, 1, &bad);
	f.payment_id = api_str_field(resp, o, "payment_id", "", PSP_ID_MAX - 1,
				     1, &bad);
	f.customer_ref = api_str_field(resp, o, "customer_ref", "",
				       PSP_ID_MAX - 1, 0, &bad);
	f.mandate_ref = api_str_field(resp, o, "mandate", "", PSP_ID_MAX - 1, 0,
				      &bad);
	f.failure_code = api_str_field(resp, o, "failure_code", "",
				       PSP_CODE_MAX - 1, 0, &bad);
	failed_at = api_str_field(resp, o, "failed_at", "", 40, 0, &bad);
	if (bad)
		goto out;
	if ((f.customer_ref && !psp_id_shape(f.customer_ref, "cus_", 200) &&
	     !psp_id_shape(f.customer_ref, "cst_", 64))) {
		api_bad_request(resp, "parameter_invalid", "expected the "
				"provider's customer id (cus_... or cst_...).",
				"customer_ref");
		goto out;
	}
	if (f.mandate_ref && !psp_id_shape(f.mandate_ref, "pm_", 200) &&
	    !psp_id_shape(f.mandate_ref, "mdt_", 64)) {
		api_bad_request(resp, "parameter_invalid", "expected a payment "
				"method or mandate id (pm_... or mdt_...).",
				"mandate");
		goto out;
	}
	if (!currency_find(f.currency)) {
		api_bad_request(resp, "parameter_invalid",
				"expected an ISO 4217 code such as EUR.",
				"currency");
		goto out;
	}
	amount = json_object_get(o, "amount");
	if (!json_is_integer(amount) || json_integer_value(amount) < 1) {
		api_bad_request(resp, "parameter_invalid",
				"expected a whole number of minor units (cents), "
				"more than 0.", "amount");
		goto out;
	}
	f.amount_minor = json_integer_value(amount);
	if (failed_at && instant_parse(failed_at, &f.failed_at, NULL) < 0) {
		api_bad_request(resp, "parameter_invalid",
				"expected a date, YYYY-MM-DD or RFC 3339.",
				"failed_at");
		goto out;
	}
	if (store_begin(s, &e) < 0) {
		api_fail(req, resp, "starting a transaction", &e);
		goto out;
	}
	r = store_tenant_by_id(s, a->tenant_id, &t, &e);
	if (r == 0)
		r = charge_record_failure(s, &t, &f, req->now, &c, &created,
					  &e);
	if (r == 0)
		r = store_commit(s, &e);
	if (r < 0) {
		store_rollback(s);
		param = charge_param(e.msg);
		if (r == -ERR_NOTFOUND && param)
			api_missing(resp, param, param);
		else if ((r == -ERR_INVALID || r == -ERR_RANGE) && param)
			api_bad_request(resp, "parameter_invalid",
					e.msg + strlen(param) + 2, param);
		else
			api_fail(req, resp, "recording a failed charge", &e);
		goto out;
	}
	if (created)
		dispatch_wake(); /* the case's webhooks go out now */
	api_send_json(resp, created ? 201 : 200,
		      charge_json(&c, f.customer, f.invoice));
out:
	charge_rec_clear(&c);
	tenant_rec_clear(&t);
	json_decref(o);
}

void api_charge_failed_post(const struct http_request *req,
			    struct http_response *resp)
{
	struct api_auth a;

	if (api_authenticate(req, resp, API_SCOPE_WRITE, &a) < 0)
		return;
	api_idempotent(req, resp, &a, charge_failed_post);
}

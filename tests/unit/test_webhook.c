/* Unit tests for webhook: event names, subscriptions, the --events list,
 * the signature (against Python's hmac) and the payload's shape. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "webhook.h"

TEST(test_event_names)
{
	CHECK_STR(webhook_event_name("case.opened"), "case.opened");
	CHECK_STR(webhook_event_name("message.sent"), "action.sent");
	CHECK_STR(webhook_event_name("message.delivered"), "message.delivered");
	CHECK_STR(webhook_event_name("message.bounced"), "message.failed");
	CHECK_STR(webhook_event_name("message.dead"), "message.failed");
	CHECK_STR(webhook_event_name("case.resolved"), "case.resolved");
	CHECK(webhook_event_name("message.retry") == NULL);
	CHECK(webhook_event_name("message.cancelled") == NULL);
	CHECK(webhook_event_name("case.reanchored") == NULL);
	CHECK(webhook_event_name("") == NULL);
}

TEST(test_wants)
{
	CHECK_INT(webhook_wants("*", "case.opened"), 1);
	CHECK_INT(webhook_wants("case.opened action.sent", "action.sent"), 1);
	CHECK_INT(webhook_wants("case.opened,action.sent", "case.opened"), 1);
	CHECK_INT(webhook_wants("case.opened", "case.opene"), 0);
	CHECK_INT(webhook_wants("case.opene", "case.opened"), 0);
	CHECK_INT(webhook_wants("case.opened", "action.sent"), 0);
	CHECK_INT(webhook_wants("", "case.opened"), 0);
}

TEST(test_events_parse)
{
	char out[WEBHOOK_EVENTS_MAX];
	struct err e;

	CHECK_INT(webhook_events_parse(NULL, out, &e), 0);
	CHECK_STR(out, "*");
	CHECK_INT(webhook_events_parse("  case.opened,, invoice.paid ", out,
				       &e), 0);
	CHECK_STR(out, "case.opened invoice.paid");
	CHECK_INT(webhook_events_parse("case.opened *", out, &e), 0);
	CHECK_STR(out, "*");
	CHECK_INT(webhook_events_parse("promise.made dispute.opened", out, &e),
		  0);
	CHECK_STR(out, "promise.made dispute.opened");
	CHECK_INT(webhook_events_parse("case.opened message.sent", out, &e),
		  -ERR_INVALID);
	CHECK(strstr(e.msg, "'message.sent'") != NULL);
}

TEST(test_sign)
{
	char sig[WEBHOOK_SIG_MAX];
	struct err e;
	const char *body = "{\"a\":1}";

	/* python3: hmac.new(b"whsec_test", b'1700000000.{"a":1}',
	 * hashlib.sha256).hexdigest() */
	CHECK_INT(webhook_sign("whsec_test", 1700000000, body, strlen(body),
			       sig, &e), 0);
	CHECK_STR(sig, "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb"
		       "2f6e49ee50bd9e4cf4ca4d3789");
}

TEST(test_payload)
{
	struct webhook_event_rec ev;
	struct err e;
	char *text = NULL;
	json_t *o, *data;

	memset(&ev, 0, sizeof(ev));
	ev.id = 42;
	ev.case_id = 7;
	ev.at = 1764000000; /* 2025-11-24T16:00:00Z */
	ev.kind = "message.bounced";
	ev.detail = "{\"step\":\"r1\",\"channel\":\"email\"}";
	ev.customer = "C1";
	CHECK_INT(webhook_payload("acme", &ev, "message.failed", &text, &e), 0);
	o = json_loads(text ? text : "", 0, NULL);
	CHECK(o != NULL);
	CHECK_STR(json_string_value(json_object_get(o, "id")), "evt_acme_42");
	CHECK_STR(json_string_value(json_object_get(o, "type")),
		  "message.failed");
	CHECK_STR(json_string_value(json_object_get(o, "created")),
		  "2025-11-24T16:00:00Z");
	data = json_object_get(o, "data");
	CHECK_INT(json_integer_value(json_object_get(data, "case_id")), 7);
	CHECK_STR(json_string_value(json_object_get(data, "customer_id")), "C1");
	CHECK_STR(json_string_value(json_object_get(data, "step")), "r1");
	CHECK_STR(json_string_value(json_object_get(data, "status")),
		  "bounced");
	/* keys in a stable order: id first */
	CHECK(strncmp(text, "{\"id\":\"evt_acme_42\",\"type\"", 26) == 0);
	json_decref(o);
	free(text);

	/* a detail that is not JSON still makes a payload */
	ev.kind = "case.opened";
	ev.detail = "not json";
	CHECK_INT(webhook_payload("acme", &ev, "case.opened", &text, &e), 0);
	o = json_loads(text ? text : "", 0, NULL);
	CHECK(o != NULL);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(o, "data"),
						     "case_id")), 7);
	json_decref(o);
	free(text);
}

int main(void)
{
	RUN(test_event_names);
	RUN(test_wants);
	RUN(test_events_parse);
	RUN(test_sign);
	RUN(test_payload);
	return CHECK_DONE();
}

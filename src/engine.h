/*
 * engine: the pure dunning decision.
 *
 *   engine_decide(input, strategy set, today) -> new case state + actions
 *
 * For one customer and one currency it decides what is due on `today` (the
 * customer's local date): open a case, take the next step (contact, fee, end
 * action), skip a step, wait, pause, or close. It reads nothing but its
 * arguments and writes nothing but its result, so the same function drives
 * the daily run, the timeline's forecast, `simulate`, and the table-driven
 * tests in tests/engine/. Persisting the result exactly once is the caller's
 * job (the store's unique keys make it so).
 *
 * The rules it implements (docs/engine.md explains why):
 *  - A case holds the customer's open, undisputed invoices in one currency
 *    that are overdue or fall due within the strategy's lead time; it is
 *    anchored on the oldest due date. Later invoices join it as they come
 *    into that window; when nothing is left in it, the case closes.
 *  - Steps are taken in order, never skipped for being late and never
 *    repeated: a step is due at anchor + offset, but not before the contact
 *    policy allows the next contact. A pre-due step whose moment has passed
 *    (the invoice is already due) is skipped, as is a step whose minimum open
 *    amount is not reached. At most one contact step per case per day.
 *  - A payment that leaves the oldest invoice paid re-anchors the case on the
 *    next oldest; the step counter stays where it is.
 *  - Paused (no contact, no fee, no end action): deceased, do-not-contact, a
 *    moratorium, a hold (promise to pay, postponement, plan in good standing,
 *    dispute) through its date, or every invoice in dispute.
 *  - A case of a vulnerable or deceased customer, or of a strategy with
 *    agent_on_open, is handed to a person once, when it opens.
 */
#ifndef DUNWELL_ENGINE_H
#define DUNWELL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "date.h"
#include "money.h"
#include "strategy.h"

/* Actions one decision can hold: the agent hand-off at opening, a few
 * skipped steps, and one step on every channel with its fee and end
 * action. When more steps would be skipped in one day, the rest are
 * skipped the next day. */
#define ENGINE_MAX_ACTIONS 12
#define ENGINE_STEP_ACTIONS (CHANNEL_COUNT + 2) /* one step at most */

/* One open invoice of the customer in the case's currency. */
struct engine_invoice {
	int64_t id;         /* store id, carried through for the caller */
	date_t due;         /* due date */
	int64_t open_minor; /* still to pay; > 0 */
	int disputed;       /* in dispute: left out of the case */
	int written_off;    /* given up on: never dunned again */
};

/* The facts about the customer the decision depends on. */
struct engine_customer {
	int vulnerable;          /* route to a gentler strategy and a person */
	int do_not_contact;      /* no contact at all */
	int deceased;            /* no contact; a person takes over */
	date_t moratorium_until; /* no contact through this date; DATE_NONE */
	enum channel channels[CHANNEL_COUNT]; /* reachable, consented, in the
						 customer's order of preference */
	int n_channels;
	const char *const *segments; /* tags for the strategy rules */
	size_t n_segments;
	const char *country;     /* ISO 3166 alpha-2 or "" */
	int tenure_days;         /* days a customer on `today`; -1 unknown */
	int64_t tenant_id;       /* experiment rules: whose customer */
	const char *external_id; /* experiment rules: the customer's id
				    (NULL: an experiment gives its champion) */
};

enum case_status { CASE_NONE = 0, CASE_OPEN, CASE_RESOLVED, CASE_WRITTEN_OFF };

enum hold_reason {
	HOLD_NONE = 0,
	HOLD_PROMISE,     /* promise to pay by a date */
	HOLD_POSTPONED,   /* the customer chose a later date */
	HOLD_PLAN,        /* an instalment plan in good standing */
	HOLD_DISPUTE,     /* the customer disputes the debt */
	HOLD_AGENT,       /* paused by an agent */
};

/* The persisted state of the case (zeroed, status CASE_NONE, when the
 * customer has no open case in this currency). */
struct engine_case {
	enum case_status status;
	size_t strategy;        /* index into the strategy set */
	date_t anchor;          /* due date the step offsets count from */
	int next_step;          /* index of the next step to consider */
	date_t opened_on;       /* local date the case opened */
	date_t last_step_on;    /* local date of the last step taken */
	date_t hold_until;      /* a hold lasts through this date; DATE_NONE */
	enum hold_reason hold_reason;
	int64_t fees_minor;     /* fees charged so far */
};

struct engine_input {
	const struct engine_customer *customer;
	const struct currency *currency;      /* the case's currency */
	const struct engine_invoice *invoices;/* open invoices, any order */
	size_t n_invoices;
	struct engine_case state;             /* current state */
	const date_t *contacts;               /* the customer's recent contact
						 dates, all cases, ascending */
	size_t n_contacts;
	date_t today;                         /* the customer's local date */
};

enum action_kind {
	ACTION_CONTACT = 0, /* send a message on a channel */
	ACTION_FEE,         /* charge the step's fee */
	ACTION_END,         /* the step's end action */
	ACTION_SKIP,        /* a step passed over, with the reason */
	ACTION_AGENT,       /* hand the case to a person (not a step) */
};

/* One decided action. The small fields are bytes rather than enums: the
 * run keeps a decision per case for a whole batch (tens of thousands), and
 * this halves its size. */
struct engine_action {
	const char *step_id;    /* the step's id, or "open" for ACTION_AGENT */
	const char *template_id;/* ACTION_CONTACT */
	const char *reason;     /* SKIP and AGENT: why (static text) */
	int64_t amount_minor;   /* CONTACT: amount open; FEE: the fee */
	date_t due_on;          /* the step's own date (anchor + offset) */
	int16_t step;           /* step index, -1 for ACTION_AGENT on open */
	uint8_t kind;           /* enum action_kind */
	uint8_t channel;        /* enum channel; ACTION_CONTACT only */
	uint8_t tone;           /* enum tone; ACTION_CONTACT */
	uint8_t end;            /* enum end_action; ACTION_END, ACTION_AGENT */
	uint8_t n_fallbacks;    /* entries in fallbacks */
	uint8_t fallbacks[CHANNEL_COUNT]; /* enum channel; CONTACT, SEND_FIRST */
};

/* Why the decision recorded nothing more today. */
enum engine_wait {
	WAIT_NONE = 0,      /* not waiting: there is nothing left to do */
	WAIT_STEP_DATE,     /* the next step's date has not come */
	WAIT_POLICY,        /* the contact policy holds the next contact */
	WAIT_PAUSED,        /* paused; see pause_reason */
	WAIT_DONE,          /* every step taken: the case waits for payment
			       or a person */
	WAIT_NOT_DUE,       /* no case: nothing overdue or soon due */
};

struct engine_decision {
	struct engine_case state;  /* the state after today */
	int opened;                /* the case opened today */
	int closed;                /* the case closed today (status tells how) */
	int reanchored;            /* the anchor moved */
	date_t old_anchor;         /* when reanchored */
	int64_t open_minor;        /* total open in the case */
	size_t n_case_invoices;    /* invoices in the case */
	enum engine_wait wait;     /* what holds the next step */
	const char *pause_reason;  /* WAIT_PAUSED: "moratorium", ... */
	const char *experiment;    /* opened: the experiment the case is in
				      (owned by the set), or NULL */
	int variant;               /* opened in an experiment: its variant */
	date_t next_on;            /* earliest date something may happen next,
				      DATE_NONE when unknown (paused, done) */
	size_t n_actions;          /* entries of actions[] in use */
	struct engine_action actions[ENGINE_MAX_ACTIONS]; /* last: only the
				      first n_actions are ever written */
};

/* Decide for one customer and currency. Never fails: fee errors (e.g. WIK
 * on a non-EUR case) turn into a skipped fee with the reason. */
void engine_decide(const struct engine_input *in,
		   const struct strategy_set *set,
		   struct engine_decision *ret);

/* Whether `inv` belongs to the case the decision is about (open, not in
 * dispute or written off, within the strategy's lead time on in->today).
 * When a decision writes a case off, these are the invoices to mark. */
int engine_in_case(const struct engine_input *in,
		   const struct strategy_set *set,
		   const struct engine_decision *d,
		   const struct engine_invoice *inv);

const char *action_kind_name(enum action_kind k);
const char *case_status_name(enum case_status s);
int case_status_parse(const char *s, enum case_status *ret);
const char *hold_reason_name(enum hold_reason h);
int hold_reason_parse(const char *s, enum hold_reason *ret);
const char *engine_wait_name(enum engine_wait w);

#endif

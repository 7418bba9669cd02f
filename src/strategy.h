/*
 * strategy: a tenant's dunning strategies, the rules that choose one for a
 * case, and the contact policy, loaded from one YAML file and validated.
 *
 * The file format is documented in docs/strategy.md. Every error names
 * file:line:column and what was expected. A loaded set is immutable and
 * self-contained (it owns all its strings); the engine reads it, never the
 * YAML. This module never touches the store: the store keeps the YAML text
 * of each version, and the caller parses it with strategy_set_parse.
 */
#ifndef DUNWELL_STRATEGY_H
#define DUNWELL_STRATEGY_H

#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "err.h"
#include "fee.h"

/* Limits the engine relies on. */
#define STRATEGY_STEPS_MAX 100    /* steps in one strategy */
#define STRATEGY_GAP_DAYS_MAX 365 /* contact_policy.min_days_between */

enum tone { TONE_FRIENDLY = 0, TONE_FORMAL, TONE_FINAL };

enum end_action {
	END_NONE = 0,
	END_RESTRICT_SERVICE, /* tell the tenant to restrict the service */
	END_HAND_TO_AGENT,    /* put the case in the agents' queue */
	END_WRITE_OFF,        /* give up on the debt; closes the case */
};

/* How a step uses its channel list. */
enum send_mode {
	SEND_FIRST = 0, /* first reachable channel; the rest are fallbacks */
	SEND_ALL,       /* every reachable channel at once */
};

struct step {
	char *id;               /* unique in its strategy: [a-z0-9_-], <= 64 */
	int offset_days;        /* from the anchor due date; negative = before */
	enum channel channels[CHANNEL_COUNT]; /* preference/fallback order */
	int n_channels;         /* 0 only for a pure end-action step */
	enum send_mode send;    /* first reachable, or all */
	char *template_id;      /* message template; NULL when n_channels == 0 */
	enum tone tone;         /* friendly, formal or final */
	struct fee_spec fee;    /* kind FEE_NONE when the step charges nothing */
	int64_t min_open_micros;/* skip the step when less is open; 0 = never */
	enum end_action end;    /* END_NONE or what happens after this step */
	int line;               /* line in the source file, for messages */
};

struct strategy {
	char *name;             /* unique in the set: [a-z0-9_-], <= 64 */
	struct step *steps;     /* ascending offset_days */
	size_t n_steps;         /* at least 1 */
	int agent_on_open;      /* hand every new case to a person too */
	int line;               /* line in the source file */
};

/* A champion / challenger experiment of a rule (issue #9): the rule's
 * cases are split between strategies by experiment_assign (a stable hash
 * of the experiment id, the tenant and the customer's external id), each
 * variant getting weight / sum of weights of them. */
#define STRATEGY_VARIANTS_MAX 16 /* = EXPERIMENT_MAX_VARIANTS */
struct rule_variant {
	size_t strategy;        /* index into strategy_set.strategies */
	unsigned weight;        /* share of the cases, relative; 0..10000 */
	int line;               /* line in the source file */
};

struct rule_experiment {
	char *id;               /* unique in the set: [a-z0-9_-], <= 64 */
	struct rule_variant variants[STRATEGY_VARIANTS_MAX]; /* first = the
				   champion; distinct strategies */
	unsigned weights[STRATEGY_VARIANTS_MAX]; /* variants[i].weight, as
				   experiment_assign takes them */
	size_t n_variants;      /* 2..STRATEGY_VARIANTS_MAX */
	int line;               /* line in the source file */
};

/* A rule matches when every condition it states holds. */
struct rule {
	char **segments;        /* any of these tags; NULL = any */
	size_t n_segments;
	char (*countries)[3];   /* any of these ISO 3166 alpha-2; NULL = any */
	size_t n_countries;
	char (*currencies)[4];  /* any of these ISO 4217; NULL = any */
	size_t n_currencies;
	int64_t amount_min_micros; /* open amount >= this; -1 = no bound */
	int64_t amount_max_micros; /* open amount <= this; -1 = no bound */
	int vulnerable;         /* -1 any, 0 must not be, 1 must be */
	int tenure_min_days;    /* customer for at least this long; -1 = any */
	int tenure_max_days;    /* customer for at most this long; -1 = any */
	size_t strategy;        /* index into strategy_set.strategies (an
				   experiment's champion when it has one) */
	struct rule_experiment *experiment; /* NULL, or the split of the
				   rule's cases (then `strategy` is the
				   champion's) */
	int line;               /* line in the source file */
};

struct contact_policy {
	int min_days_between;   /* days between two contacts; 0 = no minimum */
	int max_per_7_days;     /* contacts in any rolling 7 days; 0 = no cap */
};

struct strategy_set {
	char *source;           /* file name used in messages */
	struct strategy *strategies;
	size_t n_strategies;
	struct rule *rules;     /* first match wins */
	size_t n_rules;
	size_t default_strategy;/* index used when no rule matches (required) */
	struct contact_policy policy;
};

/* What the rules look at when choosing a strategy for a case. */
struct rule_facts {
	const char *const *segments; /* the customer's tags */
	size_t n_segments;
	const char *country;    /* "NL", or "" when unknown */
	const char *currency;   /* the case's currency */
	int64_t open_micros;    /* open amount of the case in micros */
	int vulnerable;         /* 0 or 1 */
	int tenure_days;        /* days since the customer became one; -1 unknown */
	int64_t tenant_id;      /* for experiment rules: whose customer */
	const char *customer;   /* the customer's external id, for experiment
				   rules; NULL: an experiment gives its
				   champion */
};

/* What the rules chose for a case. */
struct rule_choice {
	size_t strategy;        /* index into strategy_set.strategies */
	const char *experiment; /* the matching rule's experiment id (owned
				   by the set), or NULL */
	int variant;            /* index of the variant in it; -1 when none */
};

/* Parse and validate. `source` names the file in messages
 * ("strategies.yaml:12:7: step 'notice': unknown channel 'fax'; expected one
 * of email, sms, ..."). */
int strategy_set_parse(const char *source, const char *text, size_t len,
		       struct strategy_set **ret, struct err *e);
/* Read a file (at most 1 MiB) and parse it. */
int strategy_set_load(const char *path, struct strategy_set **ret,
		      struct err *e);
void strategy_set_free(struct strategy_set *s);

/* Index of the strategy the rules choose for these facts. */
size_t strategy_choose(const struct strategy_set *s,
		       const struct rule_facts *facts);
/* The same choice, with the experiment and variant when the matching
 * rule splits its cases (experiment_assign of the experiment id,
 * facts->tenant_id and facts->customer: stable for a customer). */
void strategy_choose_variant(const struct strategy_set *s,
			     const struct rule_facts *facts,
			     struct rule_choice *ret);
/* Index of a strategy by name, or -1. */
long strategy_find(const struct strategy_set *s, const char *name);
/* The most negative step offset over the strategy, or 0 if none is
 * negative: how many days before the due date a case opens, as a count
 * (3 when the first step is at offset -3; never negative). */
int strategy_lead_days(const struct strategy *st);

const char *tone_name(enum tone t);
const char *end_action_name(enum end_action a);

#endif

/*
 * retry: failed automatic payments (see retry.h).
 */
#include "retry.h"

#include <string.h>
#include <strings.h>

/* Declines that no retry can cure. Stripe's decline codes
 * (https://docs.stripe.com/declines/codes) and SEPA Direct Debit reason
 * codes (EPC guidance on R-transactions). */
static const char *const hard_codes[] = {
	/* cards */
	"stolen_card", "lost_card", "pickup_card", "fraudulent",
	"restricted_card", "card_not_supported", "currency_not_supported",
	"invalid_account", "new_account_information_available",
	"revocation_of_all_authorizations", "revocation_of_authorization",
	"stop_payment_order", "security_violation", "merchant_blacklist",
	"expired_card", "incorrect_number", "invalid_number",
	/* SEPA direct debit */
	"AC01", /* incorrect account number */
	"AC04", /* account closed */
	"AC06", /* account blocked */
	"AC13", /* debtor account is a consumer account (B2B scheme) */
	"AG01", /* transaction forbidden on this account */
	"MD01", /* no valid mandate */
	"MD07", /* debtor deceased */
	"MS02", /* refused by the debtor */
	"SL01", /* specific service offered by the debtor's bank */
	"BE05", /* unrecognised creditor */
};

static const char *const soft_codes[] = {
	"insufficient_funds", "card_velocity_exceeded", "do_not_honor",
	"generic_decline", "try_again_later", "processing_error",
	"issuer_not_available", "approve_with_id", "reenter_transaction",
	"withdrawal_count_limit_exceeded", "authentication_required",
	"AM04", /* insufficient funds */
	"MS03", /* reason not specified */
	"AM05", /* duplicate */
	"FF05", /* direct debit type incorrect */
};

enum retry_decline retry_classify(const char *code, int unknown_hard)
{
	if (!code || !*code)
		return unknown_hard ? RETRY_HARD : RETRY_SOFT;
	for (size_t i = 0; i < sizeof(hard_codes) / sizeof(hard_codes[0]); i++)
		if (strcasecmp(code, hard_codes[i]) == 0)
			return RETRY_HARD;
	for (size_t i = 0; i < sizeof(soft_codes) / sizeof(soft_codes[0]); i++)
		if (strcasecmp(code, soft_codes[i]) == 0)
			return RETRY_SOFT;
	return unknown_hard ? RETRY_HARD : RETRY_SOFT;
}

static int business(const struct cal *cal, date_t d)
{
	if (cal)
		return cal_is_business_day(cal, d);
	return date_weekday(d) <= 5; /* 1 = Monday ... 7 = Sunday */
}

int retry_schedule(date_t failed_on, int tries, int window_days,
		   const struct cal *cal, date_t ret_days[RETRY_MAX_TRIES],
		   int *ret_n, struct err *e)
{
	date_t out[RETRY_MAX_TRIES];
	int n = 0;

	if (tries < 1 || tries > RETRY_MAX_TRIES)
		return err_set(e, ERR_RANGE, "tries: %d is not between 1 and %d",
			       tries, RETRY_MAX_TRIES);
	if (window_days < 1 || window_days > 60)
		return err_set(e, ERR_RANGE,
			       "window_days: %d is not between 1 and 60",
			       window_days);
	for (int k = 0; k < tries; k++) {
		/* Targets at growing gaps: the first two days after the
		 * failure, then evenly to the end of the window. */
		int off = k == 0 ? 1 : k == 1 ? 2
				      : 2 + (int)((long)(window_days - 2) *
							  (k - 1) / (tries - 1 > 1
									? tries - 2
									: 1));
		date_t d = failed_on + (off > window_days ? window_days : off);
		while (!business(cal, d) && d <= failed_on + window_days)
			d++;
		if (d > failed_on + window_days)
			break;
		if (n > 0 && d <= out[n - 1]) {
			/* Two targets on one business day: the next free
			 * business day, if the window has one. */
			d = out[n - 1] + 1;
			while (!business(cal, d) && d <= failed_on + window_days)
				d++;
			if (d > failed_on + window_days)
				break;
		}
		out[n++] = d;
	}
	memcpy(ret_days, out, sizeof(out[0]) * (size_t)n);
	*ret_n = n;
	return 0;
}

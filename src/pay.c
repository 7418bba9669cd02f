/*
 * pay: payment allocation (see pay.h).
 */
#include "pay.h"

int pay_allocate(struct store *s, int64_t tenant_id, int64_t customer_id,
		 const char *currency, int64_t first_invoice, int64_t amount,
		 int64_t *ret_left, struct err *e)
{
	struct invoice_rec *list = NULL;
	size_t n = 0;
	int r = store_invoices_open(s, tenant_id, customer_id, currency, &list,
				    &n, e);
	if (r < 0)
		return r;
	/* Pass 0 takes the named invoice, pass 1 the rest, oldest first
	 * (store_invoices_open returns them by due date). */
	for (int pass = 0; pass < 2 && amount > 0; pass++) {
		for (size_t i = 0; i < n && amount > 0; i++) {
			struct invoice_rec *inv = &list[i];
			int64_t take;
			if ((pass == 0) != (inv->id == first_invoice))
				continue;
			if (inv->open_minor <= 0)
				continue;
			take = amount < inv->open_minor ? amount :
							  inv->open_minor;
			inv->open_minor -= take;
			amount -= take;
			r = store_invoice_set_open(s, tenant_id, inv->id,
						   inv->open_minor, e);
			if (r < 0)
				goto out;
		}
	}
	*ret_left = amount;
out:
	invoice_list_free(list, n);
	return r;
}

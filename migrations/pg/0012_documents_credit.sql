-- 0012_documents_credit: a copy of the invoice, fees paid, and credit
-- (issues #6 and #7).
--
--  * invoices.document_url: the tenant may give each invoice the web
--    address of its document (a PDF in the tenant's own billing system or
--    file store); the customer's personal page links to it. '' when the
--    tenant gives none. Only https:// addresses (http:// on loopback, for
--    tests) are accepted, checked where invoices come in.
--  * cases.fees_paid_minor: what payments have paid of the fees the case
--    charged (fees_minor). The tenant's payment_order (principal_first or
--    fees_first) decides whether a payment covers fees or invoices first;
--    what is owed is the open invoices plus fees_minor - fees_paid_minor.
--  * payments.unallocated_minor: what a payment left over once the
--    customer's open invoices and fees were paid: kept as the customer's
--    credit (shown on the personal page and to agents).
ALTER TABLE invoices ADD COLUMN document_url TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN fees_paid_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN unallocated_minor BIGINT NOT NULL DEFAULT 0;
CREATE INDEX payments_credit ON payments (tenant_id, customer_id, currency)
	WHERE unallocated_minor > 0;

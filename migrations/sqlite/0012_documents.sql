-- 0012_documents: a copy of the invoice (issue #6). The tenant may give
-- each invoice the web address of its document (a PDF in the tenant's own
-- billing system or file store); the customer's personal page links to it.
-- '' when the tenant gives none. Only https:// addresses (http:// on
-- loopback for tests) are accepted, checked where invoices come in.
ALTER TABLE invoices ADD COLUMN document_url TEXT NOT NULL DEFAULT '';

-- 0008_webhook_order: webhooks read case events in commit order. SQLite
-- has one writer at a time and gives ids in commit order, so the order is
-- the id; the column keeps both dialects' cursors alike (see the
-- PostgreSQL dialect for why it matters there).
ALTER TABLE webhook_endpoints ADD COLUMN cursor_order INTEGER NOT NULL
	DEFAULT 0;
UPDATE webhook_endpoints SET cursor_order = cursor_event_id;

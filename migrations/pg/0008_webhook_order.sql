-- 0008_webhook_order: webhooks read case events in commit order.
--
-- Case event ids come from a sequence: a transaction that took its ids
-- early (a `dunwell run`, or a connection holding a cached block of ids)
-- may commit after one with higher ids, so "events with id > cursor"
-- can pass over rows that are not visible yet and never come back to
-- them. Each event now records the transaction that wrote it; the webhook
-- fill reads events in (transaction, id) order and only those of
-- transactions older than every transaction still running
-- (pg_snapshot_xmin), so nothing it has passed can appear later.
ALTER TABLE case_events ADD COLUMN txid xid8 NOT NULL
	DEFAULT pg_current_xact_id();
CREATE INDEX case_events_commit ON case_events (tenant_id, txid, id);
ALTER TABLE webhook_endpoints ADD COLUMN cursor_order BIGINT NOT NULL
	DEFAULT 0;
-- every event so far carries this migration's transaction: endpoints
-- keep their place by id within it
UPDATE webhook_endpoints SET cursor_order = pg_current_xact_id()::text::bigint;

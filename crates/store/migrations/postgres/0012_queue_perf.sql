-- The queue orders a salesperson's leads by priority_key DESC, id DESC and stops after
-- `limit` rows. Leads without engagement share a handful of priorities (their fit), so
-- without the id in the index PostgreSQL had to read and sort every lead of a tie to
-- find the first ones; with it the walk stops after `limit` rows.
DROP INDEX leads_queue_owner;
CREATE INDEX leads_queue_owner ON leads (workspace_id, owner_id, status, priority_key DESC, id DESC);
DROP INDEX leads_queue;
CREATE INDEX leads_queue ON leads (workspace_id, status, priority_key DESC, id DESC);

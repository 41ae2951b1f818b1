-- The company list's "last activity" order walks every activity, touchpoint and event of
-- a workspace from the newest back and stops once it has seen enough companies. These
-- indexes give that walk its order; lead_id is included so the walk never reads the
-- tables themselves.
CREATE INDEX activities_time ON activities (workspace_id, occurred_at, lead_id);
CREATE INDEX touchpoints_time ON touchpoints (workspace_id, occurred_at, lead_id);
CREATE INDEX events_time ON events (workspace_id, occurred_at, lead_id);

-- Temperature: events keep who they are about even before the lead exists, are
-- categorised and marked when a machine made them; leads carry their scores as
-- time-invariant keys so ranking needs no nightly job.

-- Events for an email or visitor not yet known, attached when the lead appears.
ALTER TABLE events ADD COLUMN email TEXT;
ALTER TABLE events ADD COLUMN visitor_id TEXT;
-- Page category of a page view (product, case_study, document, other).
ALTER TABLE events ADD COLUMN category TEXT;
-- Why the event is thought automated (user_agent, too_fast, click_burst); NULL: a person.
ALTER TABLE events ADD COLUMN bot_reason TEXT;
CREATE INDEX events_unattached_email ON events (workspace_id, email) WHERE lead_id IS NULL;
CREATE INDEX events_unattached_visitor ON events (workspace_id, visitor_id) WHERE lead_id IS NULL;
-- Scoring a lead reads its events from this index alone.
DROP INDEX events_lead;
CREATE INDEX events_lead ON events (workspace_id, lead_id, occurred_at, type, category, bot_reason);

-- ln of the decayed engagement referred to a fixed day (see ondo_domain::scoring);
-- NULL when the lead has no points.
ALTER TABLE leads ADD COLUMN engagement_key REAL;
ALTER TABLE leads ADD COLUMN fit_score REAL NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN fit_grade TEXT NOT NULL DEFAULT 'D';
-- engagement_key + ln(fit factor), or a large negative number below every engaged lead
-- when there is no engagement: the queue's order.
ALTER TABLE leads ADD COLUMN priority_key REAL NOT NULL DEFAULT -1000000;
ALTER TABLE leads ADD COLUMN last_engaged_at INTEGER;
-- Set when a dormant lead came back by crossing the MQL rule again.
ALTER TABLE leads ADD COLUMN returned_at INTEGER;
CREATE INDEX leads_queue_owner ON leads (workspace_id, owner_id, status, priority_key);
CREATE INDEX leads_queue ON leads (workspace_id, status, priority_key);

-- Which handoff rule changed a status, and its reason in English (reason holds Japanese).
ALTER TABLE status_history ADD COLUMN rule TEXT;
ALTER TABLE status_history ADD COLUMN reason_en TEXT;

-- The workspace's scoring and handoff rules, every saved version kept.
CREATE TABLE scoring_rules (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    version INTEGER NOT NULL,
    rules_toml TEXT NOT NULL,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, version)
);

-- Round-robin assignment of sales-ready leads: the user who got the last one.
CREATE TABLE handoff_state (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces (workspace_id),
    last_assigned_user_id INTEGER
);

-- Durable background jobs: a row is written in the same transaction as the change that
-- asks for it, so a job exists exactly when that change does. A worker leases due rows
-- (`lease_until`); a lease that runs out (the worker died) makes the job due again.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    -- What to run, e.g. notify_email, notify_webhook; the worker dispatches on it.
    kind TEXT NOT NULL,
    -- JSON read by the job's handler.
    payload TEXT NOT NULL DEFAULT '{}',
    -- queued | running | done | failed
    state TEXT NOT NULL,
    -- Runs started, including the one under way; also the fencing token of a lease.
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    -- When a queued job is due (the first time, or after a failure's backoff).
    run_at INTEGER NOT NULL,
    -- Until when a running job is its worker's; after it, another worker may take it.
    lease_until INTEGER,
    last_error TEXT,
    -- What a finished job has to say (e.g. "not sent: SMTP is not configured").
    result TEXT,
    progress_done INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id)
);
-- The worker's question, across workspaces: what is due, oldest first.
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_kind ON jobs (workspace_id, kind, id);

-- Where handoff notifications go besides email: Slack-compatible incoming webhooks, or
-- generic JSON webhooks signed with HMAC-SHA256 of the channel's secret.
CREATE TABLE notification_channels (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    name TEXT NOT NULL,
    -- slack | json
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    -- The HMAC key of a json channel (shown once, when the channel is made).
    secret TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id)
);

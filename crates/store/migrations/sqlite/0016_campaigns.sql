-- Step campaigns (nurturing): a campaign's steps, the leads enrolled in it, and one row
-- per (enrolment, step) that is both the step's idempotency key and its sending record.
-- The law (特定電子メール法) asks for the sender's name and postal address in every
-- message: they live in the workspace's sender settings.

-- The workspace's sender: the name and postal address every message carries, the From
-- address (NULL: the server's ONDO_SMTP_FROM) and how many messages a minute may leave.
CREATE TABLE campaign_settings (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    sender_name TEXT NOT NULL DEFAULT '',
    sender_email TEXT,
    postal_address TEXT NOT NULL DEFAULT '',
    rate_per_minute INTEGER NOT NULL DEFAULT 60,
    updated_by INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id)
);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    name TEXT NOT NULL,
    -- Overrides of the workspace's sender name and From address (NULL: the workspace's).
    sender_name TEXT,
    sender_email TEXT,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id)
);

-- A step: sent delay_days after enrolment (the first) or after the previous step was
-- sent, inside the optional send window (business days, [start, end) minutes of the day
-- in JST). A removed step keeps its row (and its report); it is never sent again.
CREATE TABLE campaign_steps (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    campaign_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    delay_days INTEGER NOT NULL,
    window_start_minute INTEGER,
    window_end_minute INTEGER,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    removed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, campaign_id) REFERENCES campaigns (workspace_id, id)
);
CREATE INDEX campaign_steps_campaign ON campaign_steps (workspace_id, campaign_id, position);

-- A lead in a campaign: active until its last step is sent (completed) or it exits
-- (unsubscribed, sales_ready, do_not_send, no_consent, …).
CREATE TABLE campaign_enrollments (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    campaign_id INTEGER NOT NULL,
    lead_id INTEGER NOT NULL,
    -- active | completed | exited
    state TEXT NOT NULL,
    exit_reason TEXT,
    enrolled_by INTEGER,
    enrolled_at INTEGER NOT NULL,
    ended_at INTEGER,
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, campaign_id, lead_id),
    FOREIGN KEY (workspace_id, campaign_id) REFERENCES campaigns (workspace_id, id),
    FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id)
);
CREATE INDEX campaign_enrollments_lead ON campaign_enrollments (workspace_id, lead_id, state);

-- One step of one enrolment: scheduled → sending (committed before the SMTP call) →
-- sent; or bounced (a 5xx), failed (retries exhausted), skipped, cancelled. A row left
-- `sending` by a crash becomes `unknown` and is never sent again (at most once).
CREATE TABLE campaign_messages (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    campaign_id INTEGER NOT NULL,
    enrollment_id INTEGER NOT NULL,
    step_id INTEGER NOT NULL,
    lead_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    -- The address it went to (set when sending starts).
    to_email TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    sending_at INTEGER,
    sent_at INTEGER,
    -- Why it was skipped or cancelled, or the SMTP server's last answer.
    reason TEXT,
    last_error TEXT,
    unsubscribed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, enrollment_id, step_id),
    FOREIGN KEY (workspace_id, enrollment_id) REFERENCES campaign_enrollments (workspace_id, id)
);
CREATE INDEX campaign_messages_step ON campaign_messages (workspace_id, campaign_id, step_id, state);
-- The rate limit's question: how many started sending in the last minute.
CREATE INDEX campaign_messages_sending ON campaign_messages (workspace_id, sending_at);

-- Addresses refused by SMTP servers: permanent failures (5xx) counted; at three the
-- address is do-not-send for every campaign of the workspace.
CREATE TABLE email_suppressions (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    email TEXT NOT NULL,
    permanent_failures INTEGER NOT NULL DEFAULT 0,
    do_not_send BOOLEAN NOT NULL DEFAULT FALSE,
    last_error TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, email)
);

-- The sales workflow: follow-up tasks, in-app alerts, speed-to-lead settings, and the
-- temperature a lead had when someone acted on it (for the reports).

-- A follow-up with a due time and an owner, about a lead or (renewal, upsell) a
-- customer company. Done tasks keep who closed them and when.
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    lead_id INTEGER,
    company_id INTEGER,
    owner_id INTEGER NOT NULL,
    -- follow_up | renewal | upsell
    kind TEXT NOT NULL DEFAULT 'follow_up',
    title TEXT NOT NULL,
    note TEXT,
    due_at INTEGER NOT NULL,
    done_at INTEGER,
    done_by INTEGER,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id),
    FOREIGN KEY (workspace_id, company_id) REFERENCES companies (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
-- "Today": one owner's open tasks by due time.
CREATE INDEX tasks_owner_due ON tasks (workspace_id, owner_id, done_at, due_at);
CREATE INDEX tasks_lead ON tasks (workspace_id, lead_id, due_at);
CREATE INDEX tasks_company ON tasks (workspace_id, company_id, due_at);

-- What the app tells one user (a speed-to-lead miss, …). dedupe_key makes raising the
-- same alert twice a no-op (e.g. the status change that started the clock).
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    lead_id INTEGER,
    dedupe_key TEXT NOT NULL,
    -- JSON facts the page renders in the reader's language.
    details TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    read_at INTEGER,
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, user_id, kind, dedupe_key),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id)
);
CREATE INDEX alerts_user ON alerts (workspace_id, user_id, read_at, created_at);

-- Speed-to-lead: a new SQL must be touched within this many business minutes; business
-- hours are [day_start_minute, day_end_minute) JST on weekdays that are not holidays.
CREATE TABLE workflow_settings (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    speed_to_lead_minutes INTEGER NOT NULL DEFAULT 60,
    day_start_minute INTEGER NOT NULL DEFAULT 540,
    day_end_minute INTEGER NOT NULL DEFAULT 1080,
    updated_by INTEGER,
    updated_at INTEGER NOT NULL,
    -- Since when the rule applies: handoffs before it (history brought in by imports,
    -- or from before an upgrade) never raise alerts.
    started_at INTEGER,
    PRIMARY KEY (workspace_id)
);

-- The speed-to-lead sweep and the reports ask "who became SQL when".
CREATE INDEX status_history_to ON status_history (workspace_id, to_status, changed_at);
-- Reports: activities per rep and period.
CREATE INDEX activities_user ON activities (workspace_id, user_id, occurred_at);

-- The lead's temperature (hot | warm | cold) when the activity was logged.
ALTER TABLE activities ADD COLUMN temperature TEXT;


-- A salesperson sees their own leads, unassigned ones and the other leads of their
-- companies: "my companies" from the index alone, then those companies' leads by owner.
CREATE INDEX leads_owner_company ON leads (workspace_id, owner_id, company_id);
CREATE INDEX leads_company_owner ON leads (workspace_id, company_id, owner_id);

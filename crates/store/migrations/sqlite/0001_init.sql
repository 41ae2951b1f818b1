-- Ondo data model v1 (SQLite).
-- Every table carries workspace_id. SQLite allocates ids through the rowid alias
-- `id INTEGER PRIMARY KEY`; the (workspace_id, id) unique index is the workspace-leading
-- key that composite foreign keys point at, so a row can never reference another
-- workspace's row. PostgreSQL uses PRIMARY KEY (workspace_id, id) directly.
-- Times are INTEGER microseconds since the Unix epoch, UTC.

CREATE TABLE workspaces (
    workspace_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    locale TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, email)
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER,
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, token_hash),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id)
);

CREATE TABLE sessions (
    workspace_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id)
);

CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    name TEXT NOT NULL,
    legal_form TEXT,
    legal_form_position TEXT,
    name_key TEXT NOT NULL,
    display_name TEXT NOT NULL,
    raw_name TEXT NOT NULL,
    domain TEXT,
    corporate_number TEXT,
    address TEXT,
    industry TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id)
);
CREATE INDEX companies_name_key ON companies (workspace_id, name_key);
CREATE INDEX companies_corporate_number ON companies (workspace_id, corporate_number);
CREATE INDEX companies_domain ON companies (workspace_id, domain);

CREATE TABLE leads (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    name TEXT NOT NULL,
    kana TEXT NOT NULL DEFAULT '',
    email TEXT,
    phone TEXT,
    mobile TEXT,
    title TEXT,
    department TEXT,
    company_id INTEGER,
    company_name TEXT,
    postcode TEXT,
    address TEXT,
    owner_id INTEGER,
    status TEXT NOT NULL,
    lost_reason TEXT,
    renurture_on INTEGER,
    custom_fields TEXT NOT NULL DEFAULT '{}',
    consent_source TEXT,
    consent_at INTEGER,
    email_opt_out BOOLEAN NOT NULL DEFAULT FALSE,
    search_text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, company_id) REFERENCES companies (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX leads_email ON leads (workspace_id, email);
CREATE INDEX leads_status ON leads (workspace_id, status, id);
CREATE INDEX leads_owner ON leads (workspace_id, owner_id, id);
CREATE INDEX leads_company ON leads (workspace_id, company_id);

CREATE TABLE touchpoints (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL,
    lead_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id)
);
CREATE INDEX touchpoints_lead ON touchpoints (workspace_id, lead_id, occurred_at);
CREATE INDEX touchpoints_source ON touchpoints (workspace_id, source);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    lead_id INTEGER,
    type TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    url TEXT,
    properties TEXT NOT NULL DEFAULT '{}',
    idempotency_key TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, idempotency_key),
    FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id)
);
CREATE INDEX events_lead ON events (workspace_id, lead_id, occurred_at);

CREATE TABLE status_history (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL,
    lead_id INTEGER NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    changed_by INTEGER,
    changed_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id),
    FOREIGN KEY (workspace_id, changed_by) REFERENCES users (workspace_id, id)
);
CREATE INDEX status_history_lead ON status_history (workspace_id, lead_id, changed_at);

CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL,
    lead_id INTEGER NOT NULL,
    user_id INTEGER,
    type TEXT NOT NULL,
    outcome TEXT,
    note TEXT,
    occurred_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX activities_lead ON activities (workspace_id, lead_id, occurred_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    actor_user_id INTEGER,
    actor_label TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    at INTEGER NOT NULL,
    UNIQUE (workspace_id, id)
);
CREATE INDEX audit_log_entity ON audit_log (workspace_id, entity, entity_id, at);

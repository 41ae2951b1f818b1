-- Imports and matching: keys to find the same person cheaply, idempotent touchpoints,
-- the record of each import, and candidate pairs for a person to review.

ALTER TABLE leads ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
CREATE INDEX leads_name_key ON leads (workspace_id, name_key);
CREATE INDEX leads_phone ON leads (workspace_id, phone);
CREATE INDEX leads_mobile ON leads (workspace_id, mobile);

-- A touchpoint written by an import carries a key derived from its source and row
-- content, so importing the same file again adds nothing.
ALTER TABLE touchpoints ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX touchpoints_dedupe ON touchpoints (workspace_id, dedupe_key);

CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    file_name TEXT NOT NULL,
    source TEXT NOT NULL,
    mode TEXT NOT NULL,
    rows_total INTEGER NOT NULL,
    created INTEGER NOT NULL,
    merged INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    errors TEXT NOT NULL DEFAULT '[]',
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id)
);

CREATE TABLE candidate_pairs (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL,
    lead_a INTEGER NOT NULL,
    lead_b INTEGER NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    created_at INTEGER NOT NULL,
    resolved_at INTEGER,
    resolved_by INTEGER,
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, lead_a, lead_b),
    FOREIGN KEY (workspace_id, lead_a) REFERENCES leads (workspace_id, id),
    FOREIGN KEY (workspace_id, lead_b) REFERENCES leads (workspace_id, id)
);
CREATE INDEX candidate_pairs_status ON candidate_pairs (workspace_id, status, id);

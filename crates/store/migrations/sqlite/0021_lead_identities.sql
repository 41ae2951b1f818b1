-- Emails and numbers a lead was seen with besides its own fields: a second address from a
-- webinar sign-up, another direct line on a later card. A merge used to keep only the
-- lead's first value, so the other was lost and a later import or form sending only that
-- value did not find the lead. Kept here, and looked up like the lead's own fields.
CREATE TABLE lead_identities (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL,
    lead_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    source TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id)
);
CREATE INDEX lead_identities_value ON lead_identities (workspace_id, kind, value);
CREATE INDEX lead_identities_lead ON lead_identities (workspace_id, lead_id);

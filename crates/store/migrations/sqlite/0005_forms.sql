-- Embeddable web forms (inquiry, document request) and the record of what they received.
-- A form is found by its public key, a random secret that appears in the URL pasted into
-- a customer's site; ids are never exposed publicly, so forms cannot be enumerated.
CREATE TABLE forms (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    public_key TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- JSON list of {"key", "required"} from a fixed set of lead fields.
    fields TEXT NOT NULL DEFAULT '[]',
    -- The touchpoint source a submission is recorded under, e.g. "Webサイト問い合わせ".
    source TEXT NOT NULL,
    consent_text TEXT,
    thanks_text TEXT,
    redirect_url TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, public_key)
);

-- One row per accepted submission. The lead is reached through the touchpoint, which
-- follows the person through merges and their undoing.
CREATE TABLE form_submissions (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL,
    form_id INTEGER NOT NULL,
    touchpoint_id INTEGER,
    lead_created BOOLEAN NOT NULL,
    submitted_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, form_id) REFERENCES forms (workspace_id, id)
);
CREATE INDEX form_submissions_form ON form_submissions (workspace_id, form_id, submitted_at);

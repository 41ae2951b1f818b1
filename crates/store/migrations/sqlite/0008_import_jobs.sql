-- Imports started from the wizard run in the background; each has a row here that the
-- progress page reads. The import itself is one transaction, so a job that never reached
-- `done` wrote nothing.
CREATE TABLE import_jobs (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    created_by INTEGER,
    -- The wizard's random upload token; the file waits under it until the job is done.
    upload_token TEXT NOT NULL,
    upload_path TEXT NOT NULL,
    file_name TEXT NOT NULL,
    -- JSON: {"source", "mode", "encoding", "mapping": {column index: target}}.
    options TEXT NOT NULL DEFAULT '{}',
    -- queued | running | done | failed
    state TEXT NOT NULL,
    rows_done INTEGER NOT NULL DEFAULT 0,
    rows_total INTEGER NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT 'queued',
    import_id INTEGER,
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id)
);
CREATE INDEX import_jobs_state ON import_jobs (workspace_id, state);

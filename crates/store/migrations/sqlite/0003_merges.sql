-- Merges of two leads, kept so that a merge can be undone: the merged-away lead as it was,
-- the surviving lead's fields before, and which rows moved.
CREATE TABLE lead_merges (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    target_id INTEGER NOT NULL,
    source_id INTEGER NOT NULL,
    source_snapshot TEXT NOT NULL,
    target_before TEXT NOT NULL,
    moved TEXT NOT NULL,
    conflicts TEXT NOT NULL DEFAULT '[]',
    merged_by INTEGER,
    merged_at INTEGER NOT NULL,
    undone_at INTEGER,
    UNIQUE (workspace_id, id)
);
CREATE INDEX lead_merges_target ON lead_merges (workspace_id, target_id);

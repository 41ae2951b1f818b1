-- Segments: saved lead filters shared by the lead list, exports and campaigns. The
-- definition is the JSON form of ondo_domain::segment::SegmentDefinition; it is turned
-- into parameterised SQL when read, never stored as SQL.
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    definition TEXT NOT NULL DEFAULT '{}',
    created_by INTEGER,
    updated_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, name)
);

-- The written status definitions, as a workspace rewords them: what a status means and
-- what marketing and sales do in it. NULL keeps the standard text (in the reader's
-- language). The statuses themselves and their names are fixed: rules and reports rely
-- on them.
CREATE TABLE status_definitions (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    status TEXT NOT NULL,
    meaning TEXT,
    marketing_role TEXT,
    sales_role TEXT,
    updated_by INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, status)
);

-- The managed list of reasons a lead is lost or put on hold. A workspace without rows
-- uses the standard list; once edited, the rows are the list, in position order.
CREATE TABLE lost_reasons (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (workspace_id, position),
    UNIQUE (workspace_id, label)
);

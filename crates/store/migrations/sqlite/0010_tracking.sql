-- Anonymous visitors of the customer's site (the tracking snippet's first-party id) and
-- the lead each turned out to be: set when a visitor submits a form, arrives from a
-- tracked email link, or is named through the API. Their page views attach to that lead.
CREATE TABLE visitors (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    visitor_id TEXT NOT NULL,
    lead_id INTEGER NOT NULL,
    -- form | email_click | api
    identified_by TEXT NOT NULL,
    identified_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, visitor_id)
);

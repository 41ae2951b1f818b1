-- Anonymous visitors of the customer's site (the tracking snippet's first-party id) and
-- the lead each turned out to be: set when a visitor submits a form, arrives from a
-- tracked email link, or is named through the API. Their page views attach to that lead.
CREATE TABLE visitors (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (workspace_id),
    visitor_id TEXT NOT NULL,
    lead_id BIGINT NOT NULL,
    -- form | email_click | api
    identified_by TEXT NOT NULL,
    identified_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, visitor_id)
);

-- Each workspace's tracking keys, made on first use: the secret that signs its pixel,
-- click and identify tokens (base64url of 32 random bytes, never shown), the public site
-- key its snippet names itself by, and the company named in the disclosure text.
CREATE TABLE tracking_settings (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (workspace_id),
    secret TEXT NOT NULL,
    site_key TEXT NOT NULL,
    operator_name TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id)
);

-- The sites whose pages the snippet may report from (each domain covers its subdomains).
CREATE TABLE tracking_domains (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (workspace_id),
    domain TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, domain)
);

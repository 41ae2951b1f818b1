-- Finding a person by name at a company during an import: one index seek per pair,
-- whatever the number of namesakes elsewhere.
CREATE INDEX leads_company_name ON leads (workspace_id, company_id, name_key);

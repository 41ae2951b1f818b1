-- Every lead write maintains every index of leads, and an import writes many. These two
-- serve no query of their own: (workspace_id, company_id) is the prefix of
-- leads_company_name, and a name is only ever looked up together with its company
-- (leads_company_name again).
DROP INDEX leads_company;
DROP INDEX leads_name_key;

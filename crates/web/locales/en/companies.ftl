# The company list and company page (the same keys as ja/companies.ftl)

## Company list
company-sort = Sort by
company-sort-name = Name
company-sort-activity = Latest activity
company-sort-people = Most people
company-col-people = People
company-col-owners = Owners
company-col-last-activity = Last activity
company-col-people-names = Recently active
company-people-more = { $count } more
company-double-approach = Double approach risk
company-double-approach-hint = More than one rep owns leads at this company
company-rank-limit = Sorting by latest activity shows the top { $count } companies. Search by name to narrow the list.

## Company page
company-details = Company details
company-legal-form = Legal form
company-industry = Industry
company-open-leads = Show in the lead list
company-owners = Leads by owner
company-owner-leads = Leads: { $count }
company-people = People at this company ({ $count })
company-people-shown = Showing the { $count } most recently active.
company-no-people = No leads at this company.
company-double-approach-warning = Several reps ({ $names }) own leads at this company. Agree among yourselves before contacting them (avoid a double approach).

## Owner conflicts
company-filter-conflicts = Only companies with several owners
company-conflicts-note = Showing only companies whose leads have more than one owner.
company-conflicts-all = Show all companies
company-conflicts-none = No company has leads owned by more than one rep.
company-people-hidden = { $count } leads owned by other reps are not shown.

# The audit log (the same keys as ja/audit.ftl)

nav-audit = Audit log
audit-title = Audit log
audit-intro = Every change to leads, companies, rules and users: who changed what, when, and how, newest first.
audit-empty = No entries match.
audit-col-when = When
audit-col-actor = Who
audit-col-entity = What
audit-col-action = Action
audit-col-changes = Changes (before → after)
audit-filter-lead = Lead ID
audit-newest = Newest
audit-older = Older entries
audit-actor-system = System

audit-entity-lead = Lead
audit-entity-company = Company
audit-entity-user = User
audit-entity-scoring-rules = Scoring rules
audit-entity-status-definition = Status definition
audit-entity-lost-reasons = Lost reasons
audit-entity-notification-channel = Notification channel
audit-entity-tracking-settings = Tracking settings
audit-entity-form = Form
audit-entity-import = Import
audit-entity-candidate-pair = Possible duplicate

audit-action-create = Created
audit-action-update = Updated
audit-action-delete = Deleted
audit-action-save = Saved
audit-action-reassign = Owner changed
audit-action-assign = Owner assigned by a rule
audit-action-activity = Activity logged
audit-action-handoff = Status changed by a rule
audit-action-merge = Merged
audit-action-unmerge = Merge undone
audit-action-import = Import
audit-action-not-same = Marked as different people
audit-action-sign-in = Signed in
audit-action-token-create = API token created
audit-action-role-change = Role changed

field-reason = Reason
audit-entity-task = Task
audit-entity-workflow-settings = Speed-to-lead settings
audit-action-complete = Completed
audit-action-reopen = Reopened
audit-action-sign-in-failed = Sign-in failed
audit-action-sign-out = Signed out

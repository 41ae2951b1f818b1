# Ondo 温度 — English UI text.
# Must have exactly the same keys as ja/main.ftl (checked by a test in i18n.rs).

## Navigation
nav-label = Main menu
nav-skip = Skip to content
nav-leads = Leads
nav-companies = Companies
nav-api-docs = API docs
nav-logout = Sign out

## Sign-in
login-title = Sign in
login-tagline = See how warm every prospect is — together, as a team.
login-email = Email address
login-password = Password
login-submit = Sign in
login-expired = This page has expired. Please sign in again.
login-locked = Too many failed attempts; sign-in is locked for now. Please try again in { $minutes } min.
login-failed = The email address or password is incorrect.
password-too-short = The password must be at least 10 characters long.

## Error pages
error-not-found = Page not found
error-not-found-body = The page you are looking for does not exist or has been removed.
error-forbidden = Access denied
error-forbidden-body = You do not have permission to do this. Reload the page and try again.
error-bad-request = Invalid input
error-internal = Something went wrong
error-internal-body = An error occurred while processing your request. Please try again later, or contact your administrator if it persists.
error-busy = The database is busy
error-busy-body = Another write (an import, for example) is using the database. Please try again in a moment.
error-home = Back to home

## Field names
field-name = Name
field-kana = Furigana
field-email = Email
field-phone = Phone
field-mobile = Mobile
field-company = Company
field-department = Department
field-title = Job title
field-postcode = Postal code
field-address = Address
field-owner = Owner
field-status = Status
field-status-reason = Reason for status change
field-lost-reason = Lost/dormant reason
field-renurture-on = Re-engage on
field-source = Source
field-consent = Email consent
field-consent-source = How consent was obtained
field-consent-at = Consent date
field-email-opt-out = Email sending
field-email-opt-out-check = Do not send email (opted out)
field-corporate-number = Corporate number
field-domain = Domain
field-created = Created
field-updated = Updated

## Filters and paging
filter-search = Search
filter-submit = Filter
filter-clear = Clear filters
leads-export = Export
filter-company = Filtered by company
filter-all = All
filter-owner-me = Me
filter-owner-none = Unassigned
owner-none = Unassigned
pager-label = Pagination
pager-first = First
pager-prev = Previous
pager-next = Next

## Lead list
leads-title = Leads
leads-total = { $count } total
leads-new = New lead
leads-status-chips = Counts by status
leads-search-placeholder = Search name, furigana, company, email or phone
leads-col-dept-title = Department / title
leads-empty = No leads match these filters.
leads-empty-action = Add a new lead

## Lead detail
lead-edit = Edit
lead-other-contact = Other contact
lead-contact = Contact
lead-company = Company
lead-company-leads = Show this company's leads
lead-colleagues = Others at this company
lead-no-colleagues = No other leads at this company yet.
lead-custom-fields = Custom fields
lead-opted-out = Opted out
lead-opt-in-ok = Allowed
lead-touchpoints = Touchpoints
lead-no-touchpoints = No touchpoints recorded.
lead-timeline = Timeline
lead-no-timeline = No history yet.
timeline-kind-status = Status change
timeline-kind-activity = Sales activity
timeline-kind-event = Web activity
timeline-created = Lead created ({ $status })

## Sales activities
activity-call = Call
activity-email = Email
activity-meeting = Meeting
activity-note = Note

## Web activity
event-email-open = Email opened
event-email-click = Email link clicked
event-page-view = Page viewed
event-download = Document downloaded
event-form-submit = Form submitted
event-webinar-attend = Attended webinar

## Touchpoint kinds
touchpoint-trade-show = Trade show
touchpoint-form = Web form
touchpoint-document-request = Document request
touchpoint-webinar = Webinar
touchpoint-import = CSV import
touchpoint-api = API
touchpoint-manual = Entered by hand
touchpoint-business-card = Business card exchange

## Consent (Japan's Act on Specified Electronic Mail)
consent-business-card = Business card provided
consent-form-opt-in = Opted in via form
consent-existing-relationship = Existing business relationship
consent-other = Other
consent-none = Not recorded
source-manual = Entered by hand

## Lead form
form-new-title = New lead
form-edit-title = Edit lead
form-section-basic = Basic information
form-section-company = Company
form-section-status = Owner and status
form-section-consent = Consent (Act on Specified Electronic Mail)
form-consent-note = Marketing email needs a basis allowed by Japan's Act on Specified Electronic Mail, such as the recipient's consent or a business card they handed over. Record how and when it was obtained.
form-required = Required
form-has-errors = Some fields need attention. Please check the fields marked in red.
form-save = Save
form-cancel = Cancel
form-ph-name = 山田 太郎
form-ph-kana = ヤマダ タロウ
form-ph-email = taro.yamada@example.co.jp
form-ph-phone = 03-1234-5678
form-ph-mobile = 090-1234-5678
form-ph-company = 株式会社サンプル
form-ph-postcode = 100-0001
form-hint-kana = Full-width katakana.
form-hint-company = Include the legal form (e.g. 株式会社). Matches an existing company automatically.
form-hint-status-reason = Why the status changed; recorded in the timeline.
form-hint-lost-reason = Choose one when the status is Lost/Dormant.
form-hint-opt-out = When checked, no email is sent to this lead.

## Validation errors
invalid-name = Please enter a name
invalid-kana = Furigana must be full-width katakana
invalid-email = This email address is not valid
invalid-phone = This phone number is not valid
invalid-mobile = This mobile number is not valid
invalid-postcode = Enter a 7-digit postal code (e.g. 100-0001)
invalid-company = Please check the company name
invalid-corporate-number = A corporate number has 13 digits
invalid-owner = Please choose the owner again
invalid-status = Please choose the status again
invalid-lost-reason = Please check the lost/dormant reason
invalid-consent-source = Please choose how consent was obtained again
invalid-consent-at = The consent date is not a valid date
invalid-title = The job title is too long
invalid-department = The department is too long
invalid-address = The address is too long
invalid-status-reason = The reason for the status change is too long

## Companies
companies-title = Companies
companies-search-placeholder = Search by company name
companies-col-name = Company
companies-col-leads = Leads
companies-empty = No companies match.

nav-imports = Imports
import-title = Imports
import-intro = Import CSV exports of business-card apps (Eight, Sansan), Excel (.xlsx), webinar attendee reports (Zoom), vCards and any CSV (Shift_JIS or UTF-8). The same person becomes one lead, and every import is kept as a touchpoint.
import-file = File
import-source = Source name
import-source-hint = For example: Trade show 2026 autumn. Every row becomes a touchpoint of this name (the file name when empty).
import-upload = Upload and preview
import-no-file = Choose a file.
import-too-large = The file is too large (200 MB at most).
import-recent = Past imports
import-none = No imports yet.
import-col-when = When
import-col-file = File
import-col-rows = Rows
import-col-created = Created
import-col-merged = Merged
import-col-updated = Updated
import-col-skipped = Skipped
import-col-errors = Errors
import-preview-title = Import preview
import-preview-limited = This preview plans the first { $rows } rows of the file. The rest are read when the import runs, and its report covers every row.
import-detected = Detected
import-encoding = Encoding
import-layout = Layout
import-mode = Mode
import-mode-upsert = Create new leads and merge into existing ones (recommended)
import-mode-new = Create new leads only (rows matching existing leads are skipped)
import-mode-update = Update existing leads only
import-mapping = Column mapping
import-col-header = Column
import-col-samples = Sample values
import-col-target = Import as
import-target-custom = Custom field
import-target-ignore = Do not import
import-refresh = Apply the mapping and preview again
import-run = Run the import
import-plan = What the import will do (nothing has been written yet)
import-rejected = Rows that cannot be imported
import-warnings = Rows with values kept as written (please check)
import-candidates = Possible duplicates left for review
import-file-error = This file cannot be imported
import-report-title = Import result
import-download-errors = Download the rejected rows as CSV
import-back = Back to imports
import-row = Row
import-message = Message
import-done = Every row was imported.

dup-title = Possible duplicates
dup-intro = Pairs of leads that may be the same person. Merging keeps every touchpoint, behaviour, activity and status change on the older lead (a merge can be undone).
dup-none = No pairs to review.
dup-reason = Why
dup-merge = Merge
dup-not-same = Not the same person
dup-undo = Undo the merge
dup-merged-from = Merged
nav-duplicates = Duplicates
candidate-same-name-and-company = Same name at the same company
candidate-variant-spelling = Variant kanji (髙/高 …)
candidate-same-reading-same-company = Same reading at the same company
candidate-similar-name-same-company = Names one character apart at the same company
candidate-same-email-local-same-domain = Same address before @ at the same domain
candidate-same-company-name-different-form = Same company name, different legal form
candidate-same-romaji-same-company = The same name in romaji or kana at the same company
candidate-both-match-one-record = One incoming record (an import row, a form, the API) matched both as the same person
lead-other-owner = { $name } at the same company is owned by another rep (avoid a double approach)

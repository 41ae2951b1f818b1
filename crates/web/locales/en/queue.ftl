# Leads to call now (same keys as ja/queue.ftl)
nav-queue = Call now
queue-title = Leads to call now
queue-intro = Sales-ready (SQL) leads first, then by temperature. Read the reasons before you call.
queue-whose = Owner
queue-everyone = Everyone
queue-show = Show
queue-empty = No leads to call right now.
queue-col-lead = Lead
queue-col-temperature = Temperature
queue-col-status = Status
queue-col-reasons = Reasons
queue-col-last = Last contact
queue-col-owner = Owner
queue-score = Score
queue-fit = Fit
queue-returned = Back from dormant
queue-returned-hint = A dormant lead met the nurturing criteria again
queue-not-contacted = Not contacted yet
temperature-hot = Hot
temperature-warm = Warm
temperature-cold = Cold

## Temperature on the lead page
lead-temperature = Temperature
lead-engagement = Engagement
lead-fit = Fit
lead-no-engagement = No behaviour recorded yet.
lead-breakdown-day = Day
lead-breakdown-what = Behaviour
lead-breakdown-events = Events
lead-breakdown-points = Points
lead-breakdown-today = Worth today
lead-breakdown-automated = Automated (not scored)
lead-breakdown-note = Points count up to a daily cap per type and halve every { $days } days.

# Behaviour tracking: the settings page, and the disclosure text for Japan's
# Telecommunications Business Act (external transmission rules)

nav-tracking = Tracking

tracking-title = Tracking settings
tracking-intro = Page views and document downloads on your own site, and opens and clicks of your emails, are recorded as leads' behaviour and count towards their temperature. Visitors are recorded anonymously and are attached to a lead as soon as they become known, by submitting a form or clicking a link in an email.
tracking-saved = Saved.
tracking-no-domains = No site domain is allowed yet, so page views from sites are not accepted (this keeps a copy of your code on someone else's site from recording anything). Add your site's domain under "Allowed domains" below. Email opens and clicks are recorded without it.
tracking-snippet = Code for your site
tracking-snippet-hint = Paste it just before </body> on every page of your site (or add it through your tag manager). The visitor id is kept in your site's own cookie (_ondo_vid, about 13 months); no cookie of Ondo's domain is used.
tracking-snippet-consent = Consent mode (with a cookie consent banner)
tracking-snippet-consent-hint = With this code, no cookie is set and nothing is sent until the visitor agrees. Call ondo('consent', true) once they agree (and on every page for visitors who already have). When consent is withdrawn, ondo('consent', false) deletes the cookie and stops sending.
tracking-snippet-on-consent = after consent:
tracking-snippet-on-withdraw = when consent is withdrawn:
tracking-what = What is recorded
tracking-what-pages = Page views (address, title, referrer)
tracking-what-downloads = Clicks on document links (.pdf, .pptx, .docx, .xlsx, .zip, …) as downloads
tracking-what-forms = Ondo forms on the same page carry the visitor id, so a submission attaches the visitor's earlier page views to the lead
tracking-what-email = Email opens (one image) and link clicks are recorded through signed addresses. Automatic opens and clicks by email security products are recognised and not scored.
tracking-site-key = Site key
tracking-script-url = Script address
tracking-domains = Allowed domains
tracking-domains-label = Your site's domains (one per line)
tracking-domains-hint = Only pages on these domains and their subdomains are recorded (example.co.jp also covers www.example.co.jp). A pasted address is reduced to its domain.
tracking-operator-label = Company named in the disclosure
tracking-operator-hint = When empty, the workspace's name is used.
tracking-save = Save
tracking-has-errors = Some entries are not valid. Check the fields marked in red.
tracking-error-domain = Line { $line } is not a domain name:
tracking-error-too-many = At most { $max } domains can be listed.
tracking-error-operator-long = The company name must be at most { $max } characters.
tracking-error-operator-control = The company name must not contain line breaks or control characters.
tracking-disclosure = Disclosure of external transmission
tracking-disclosure-hint = A draft stating what is sent, to whom and for what purpose, as Japan's Telecommunications Business Act (external transmission rules) requires. Review it and publish it in your privacy policy or on an "External transmission" page.
tracking-disclosure-ja = Japanese
tracking-disclosure-en = English

tracking-disclosure-heading = [External transmission of information]
tracking-disclosure-intro = To offer information that matches your interests, this website sends the following information from your browser to the customer management system we operate.
tracking-disclosure-recipient-heading = Recipient
tracking-disclosure-recipient = Name: { $company } (lead management system "Ondo")
tracking-disclosure-server = Server: { $host }
tracking-disclosure-info-heading = Information sent
tracking-disclosure-info-visitor = A random visitor id that identifies your browser (kept in this website's cookie "_ondo_vid" for about 13 months)
tracking-disclosure-info-page = The address and title of each page you view, the address of the referring page, and the time of the visit
tracking-disclosure-info-download = The address of documents you download
tracking-disclosure-info-email = When you arrive through a link in an email from us, an identifier of the email's recipient
tracking-disclosure-info-form = When you submit a form on this website, the visitor id above (to link what you entered with your browsing history)
tracking-disclosure-info-agent = Your browser type (user agent) and IP address (sent with every request; used only to recognise automated access and to prevent abuse, and not stored)
tracking-disclosure-purpose-heading = Purposes
tracking-disclosure-purpose-interest = Understanding your interest in our products and services, and our information and sales activities based on it (including deciding whom to contact first)
tracking-disclosure-purpose-link = Linking the information you registered (inquiries, document requests and the like) with your browsing history on this website and your opens and clicks of our emails
tracking-disclosure-purpose-automated = Recognising automated access, such as by email security products
tracking-disclosure-optout-heading = How to stop it
tracking-disclosure-optout = You can stop the recording by visitor id by deleting or refusing cookies in your browser settings. Where we ask for your consent to cookies, withdrawing it also stops it.

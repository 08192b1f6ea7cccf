"""The `memspine demo` sample: a hand-written customer-support story, not random.

Five users over six weeks (2026-09-21 .. 2026-11-01). The story is written turn by turn below;
this module only adds timestamps, session ids, tags and the ids of the memories that answer
each demo question (`q=` labels), so the README can list them.

Recurring threads: Alice's login trouble (password, then two-factor after a phone change, then
a security key), Alice's double charge and her move Berlin -> Munich, Bob's plan change
Basic -> Pro and the proration dispute, Carol's delayed and damaged chair, Dave's SSO outage,
feature requests and job change, Erin's trial -> Basic.
"""

import datetime as _dt

from common import fmt_time, parse_time

AGENT = "support-bot"


class Script:
    """Collects memories in story order; sessions are numbered s1, s2, ... as they are opened."""

    def __init__(self):
        self.memories = []  # dicts with the line fields plus "_q" (question labels)
        self.sessions = 0

    def add(self, t, user, kind, content, tags, importance, *, session=None, metadata=None,
            pinned=False, q=()):
        self.memories.append({
            "content": content, "kind": kind, "tags": list(tags), "metadata": metadata or {},
            "user": user, "session": session, "agent": AGENT, "importance": importance,
            "pinned": pinned, "created_at": fmt_time(t), "_q": list(q),
        })

    def crm(self, when, user, content, tags, importance=0.7, pinned=False, q=()):
        """A profile fact synced from the CRM: no session."""
        self.add(parse_time(when), user, "fact", content, ["profile", *tags], importance,
                 metadata={"source": "crm"}, pinned=pinned, q=q)

    def session(self, user, when, channel, topics, ticket=None):
        self.sessions += 1
        return Session(self, user, parse_time(when), f"s{self.sessions}", channel, topics, ticket)


class Session:
    """One conversation: turns are spaced a few minutes apart, all share session and ticket."""

    def __init__(self, script, user, start, sid, channel, topics, ticket):
        self.s, self.user, self.t, self.sid = script, user, start, sid
        self.channel, self.topics, self.ticket = channel, list(topics), ticket
        self.turns = 0

    def _add(self, kind, content, importance, gap, extra_tags=(), pinned=False, q=(), meta=None):
        # The first turn is at the session start; later turns are at least a minute apart.
        self.t += _dt.timedelta(minutes=gap if not self.turns else max(gap, 1))
        self.turns += 1
        metadata = {"channel": self.channel}
        if self.ticket:
            metadata["ticket"] = self.ticket
        metadata.update(meta or {})
        tags = [*self.topics, *extra_tags, kind, f"session:{self.sid}"]
        self.s.add(self.t, self.user, kind, content, tags, importance, session=self.sid,
                   metadata=metadata, pinned=pinned, q=q)
        return self

    def user_says(self, content, q=(), importance=0.5, gap=0, tags=(), meta=None):
        return self._add("user_query", content, importance, gap, tags, q=q, meta=meta)

    def bot(self, content, q=(), importance=0.4, gap=3, tags=(), meta=None):
        """An assistant turn; a session that opens with one starts `gap` minutes after its time."""
        return self._add("assistant_response", content, importance, gap, tags, q=q, meta=meta)

    def fact(self, content, q=(), importance=0.7, gap=1, tags=(), meta=None):
        return self._add("fact", content, importance, gap, tags, q=q, meta=meta)

    def pref(self, content, q=(), importance=0.8, gap=1, tags=(), pinned=False, meta=None):
        return self._add("preference", content, importance, gap, tags, pinned=pinned, q=q, meta=meta)

    def note(self, content, q=(), importance=0.4, gap=2, tags=(), meta=None):
        return self._add("interaction", content, importance, gap, tags, q=q, meta=meta)


# The questions the demo asks, with the labels that mark their answers in the story below.
QUESTIONS = [
    ("alice_login", "What did Alice say about her login problem?",
     "all three login episodes; 'can't sign in' (Sep) and 'login keeps failing' (Oct) are paraphrases"),
    ("alice_city", "Where does Alice live now?",
     "Munich; the Berlin CRM fact is the superseded answer"),
    ("alice_contact", "How does Alice want to be contacted?",
     "email only; a pinned preference plus a near-duplicate restatement"),
    ("alice_billing", "Was Alice charged twice, and was it refunded?",
     "the duplicate charge and refund REF-883"),
    ("bob_plan", "Which plan is Bob on?",
     "Pro since 2026-10-15; the Basic CRM fact is superseded"),
    ("bob_dispute", "What was Bob's billing dispute about and how was it settled?",
     "full Pro price instead of prorated; €19.50 credit"),
    ("bob_features", "What features has Bob asked for?",
     "CSV export (FR-77, asked twice in different words) and dark mode (FR-52, shipped)"),
    ("carol_shipping", "What happened with Carol's delayed order?",
     "O-7781 stuck in Leipzig, delivered 12 days late with a cracked armrest, replacement O-7902"),
    ("carol_contact", "When should we call Carol?",
     "phone, mornings 9-12 CET (pinned), restated later"),
    ("dave_employer", "Where does Dave work?",
     "Polar Analytics since 2026-10-20 (Fjordsoft before)"),
    ("dave_sso", "Why did Dave's team fail to log in through SSO?",
     "rotated Okta signing certificate"),
    ("erin_plan", "Is Erin still on the free trial?",
     "no: Basic since 2026-10-05"),
    ("erin_digest", "On which day does Erin get her summary email?",
     "Friday since 2026-11-01; Monday before (a preference that changed)"),
]


def build():
    """Returns (memories, triples) for the demo; memories carry '_q' labels (not written)."""
    s = Script()
    _crm(s)
    _september(s)
    _early_october(s)
    _mid_october(s)
    _late_october(s)
    return s.memories, triples()


def _crm(s):
    s.crm("2026-09-21T08:00:00Z", "alice", "Alice Meyer lives in Berlin, Germany.", ["location"],
          q=["alice_city:old"])
    s.crm("2026-09-21T08:00:05Z", "alice", "Alice is on the Pro plan, billed annually (€119 per year).", ["plan"])
    s.crm("2026-09-21T08:00:10Z", "alice", "Alice works at Lumen Health as a data analyst.", ["work"])
    s.crm("2026-09-21T08:01:00Z", "bob", "Bob Okafor is on the Basic plan, billed monthly at €9.", ["plan"],
          q=["bob_plan:old"])
    s.crm("2026-09-21T08:01:05Z", "bob", "Bob works at Harbor Logistics in Leeds, UK.", ["work", "location"])
    s.crm("2026-09-21T08:02:00Z", "carol",
          "VIP: Carol Nguyen runs the enterprise account of Kestrel Design (40 seats). Handle her tickets with priority.",
          ["vip", "plan"], importance=1.0, pinned=True)
    s.crm("2026-09-21T08:02:05Z", "carol", "Carol is based in Hamburg, Germany.", ["location"])
    s.crm("2026-09-21T08:03:00Z", "dave", "Dave Brooks administers a Team plan with 12 seats for Fjordsoft.",
          ["plan", "work"], q=["dave_employer:old"])
    s.crm("2026-09-21T08:04:00Z", "erin", "Erin Walsh started a 30-day free trial on 2026-09-20.", ["plan"],
          q=["erin_plan:old"])
    s.crm("2026-09-21T08:04:05Z", "erin", "Erin lives in Dublin, Ireland.", ["location"])


def _september(s):
    (s.session("alice", "2026-09-22T09:14:00Z", "email", ["login"], "T-1001")
     .user_says("I can't sign in to my account. It says my password is incorrect, but I'm sure it's right.",
                q=["alice_login"])
     .bot("Sorry about that, Alice. I've sent a password reset link to your email address; it is valid for 30 minutes.")
     .user_says("The reset worked, I'm back in. Thanks!", gap=18, q=["alice_login"])
     .note("Ticket T-1001 (login) resolved by a password reset within 20 minutes.", q=["alice_login"])
     .pref("Alice prefers to be contacted by email, never by phone.", tags=["contact"], pinned=True,
           importance=0.9, q=["alice_contact"]))

    (s.session("bob", "2026-09-23T14:02:00Z", "chat", ["feature_request", "reports"], "T-1002")
     .user_says("Is there a way to export my monthly reports as CSV? I need them in Excel for my manager.",
                q=["bob_features"])
     .bot("Not yet: reports can only be downloaded as PDF today. I've logged a feature request for CSV export.")
     .note("Feature request FR-77 'CSV export for reports' filed on behalf of Bob.", q=["bob_features"],
           meta={"feature_request": "FR-77"})
     .pref("Bob prefers chat support and short, to-the-point answers.", tags=["contact"], importance=0.7))

    (s.session("alice", "2026-09-24T10:30:00Z", "email", ["billing", "invoices"], "T-1003")
     .user_says("Could my invoices be issued in German from now on? Our accounting team needs that.")
     .bot("Of course. All future invoices will be in German; the language is set under Billing → Invoice settings.")
     .pref("Alice wants her invoices in German.", importance=0.6))

    (s.session("carol", "2026-09-25T09:40:00Z", "phone", ["order", "shipping"], "T-1004")
     .user_says("I just ordered the ErgoPro chair for our Hamburg office, order O-7781. Can you confirm it ships this week?",
                q=["carol_shipping"], meta={"order": "O-7781"})
     .bot("Confirmed: order O-7781 ships on 2026-09-28 with estimated delivery on 2026-10-02.",
          meta={"order": "O-7781"})
     .fact("Carol owns order O-7781 (ErgoPro chair), promised delivery 2026-10-02.", q=["carol_shipping"],
           meta={"order": "O-7781"})
     .pref("Carol prefers phone calls, ideally between 9:00 and 12:00 CET.", tags=["contact"], pinned=True,
           importance=0.9, q=["carol_contact"]))

    (s.session("bob", "2026-09-27T20:15:00Z", "chat", ["bug", "mobile_app"], "T-1005")
     .user_says("The Android app crashes every time I open the reports tab on my Pixel 8.")
     .bot("That's a known issue in version 4.2.0. Version 4.2.1 with the fix rolls out tomorrow.")
     .fact("Bob uses the Android app on a Pixel 8 phone.", tags=["device"], importance=0.6))

    (s.session("dave", "2026-09-29T07:52:00Z", "email", ["login", "sso"], "T-1006")
     .user_says("Our team can't log in through Okta SSO since this morning. We get 'SAML assertion invalid'.",
                q=["dave_sso"])
     .bot("Your identity provider's signing certificate rotated on 2026-09-28. Please upload the new Okta "
          "signing certificate under Settings → Security → SSO.", q=["dave_sso"], gap=12)
     .user_says("Uploaded the new certificate and SSO works again for all 12 seats.", gap=25)
     .note("Ticket T-1006 (SSO login) resolved; root cause: rotated IdP certificate.", q=["dave_sso"])
     .pref("Dave prefers detailed technical explanations with exact settings paths.", tags=["contact"],
           importance=0.7)
     .fact("Dave works on Ubuntu 24.04 with Firefox.", tags=["device"], importance=0.5))

    (s.session("erin", "2026-09-30T16:20:00Z", "chat", ["onboarding", "workspace"], "T-1007")
     .user_says("Hi! I'm trying out the trial. How do I invite my colleague to a shared workspace?")
     .bot("Open Workspace → Members → Invite and enter their email address. On the free trial you can invite up to 2 people.")
     .user_says("Also, can I get a weekly summary email instead of daily notifications?", gap=2,
                tags=["notifications"])
     .bot("Done: your notifications are now a weekly digest, sent every Monday.", tags=["notifications"])
     .pref("Erin prefers a weekly digest email on Mondays rather than daily notifications.",
           tags=["notifications"], importance=0.7, q=["erin_digest:old"])
     .fact("Erin uses an iPad as her main device.", tags=["device"], importance=0.5))


def _early_october(s):
    (s.session("bob", "2026-10-01T08:05:00Z", "chat", ["bug", "mobile_app"], "T-1005")
     .user_says("The app update fixed the crash, the reports tab opens fine now.")
     .note("Ticket T-1005 (Android crash) closed after release 4.2.1."))

    (s.session("alice", "2026-10-01T13:30:00Z", "chat", ["account"], "T-1033")
     .user_says("Does my annual Pro plan renew automatically?", q=[])
     .bot("Yes, it renews on 2026-10-03 for €119 unless you switch off auto-renewal under Billing."))

    (s.session("dave", "2026-10-02T11:00:00Z", "email", ["api", "limits"], "T-1008")
     .user_says("We're hitting the API rate limit of 60 requests per minute during our nightly sync. Can it be raised?")
     .bot("I've raised your team's API limit to 300 requests per minute, effective immediately. The header "
          "X-RateLimit-Remaining shows what is left in the current window.", gap=20)
     .note("API rate limit for Dave's team raised from 60 to 300 requests per minute."))

    (s.session("carol", "2026-10-03T09:10:00Z", "phone", ["order", "shipping"], "T-1009")
     .user_says("My order O-7781 was supposed to arrive yesterday and the tracking hasn't moved since Monday. Where is it?",
                q=["carol_shipping"], meta={"order": "O-7781"})
     .bot("The parcel is held at the carrier's Leipzig hub because of a label scan error. I've asked the "
          "carrier to re-label and dispatch it.", q=["carol_shipping"], meta={"order": "O-7781"})
     .note("Shipping delay for O-7781 escalated to the logistics team; Carol was called in her morning window.",
           meta={"order": "O-7781"}))

    (s.session("alice", "2026-10-03T18:45:00Z", "email", ["billing"], "T-1010")
     .user_says("I was charged twice for my annual Pro subscription this month: two payments of €119 on my card.",
                q=["alice_billing"])
     .bot("I can see both charges. The second one is a duplicate caused by a payment retry; I've requested a refund of €119.",
          q=["alice_billing"], gap=40)
     .note("Refund REF-883 of €119 requested for Alice (duplicate charge).", meta={"refund": "REF-883"}))

    (s.session("erin", "2026-10-05T12:30:00Z", "chat", ["billing", "plan"], "T-1011")
     .user_says("The trial has been great. I'd like to continue on the Basic plan. Do I need to re-enter my card?")
     .bot("No need, the card on file will be used. You're on the Basic plan at €9 per month from today.",
          q=["erin_plan"])
     .fact("Erin converted from the free trial to the Basic plan on 2026-10-05.", q=["erin_plan"],
           importance=0.8))

    (s.session("alice", "2026-10-06T09:02:00Z", "email", ["billing"], "T-1010")
     .bot("Good news: refund REF-883 of €119 has been processed. It can take 3-5 business days to show on your statement.",
          q=["alice_billing"], meta={"refund": "REF-883"})
     .user_says("Thanks, I can see the refund pending on my card.", gap=95)
     .note("Ticket T-1010 (duplicate charge) closed after refund REF-883.", q=["alice_billing"],
           meta={"refund": "REF-883"}))

    (s.session("carol", "2026-10-07T10:15:00Z", "phone", ["order", "shipping"], "T-1009")
     .bot("Update on O-7781: the carrier re-labelled the parcel and it left Leipzig this morning. New estimate: 2026-10-09.",
          meta={"order": "O-7781"})
     .user_says("Okay, but we really need that chair by Friday. A new colleague starts on Monday.",
                meta={"order": "O-7781"}))

    (s.session("alice", "2026-10-08T08:20:00Z", "email", ["login", "2fa"], "T-1012")
     .user_says("Login keeps failing again. I got a new phone last week and now the two-factor codes are always rejected.",
                q=["alice_login"])
     .bot("Your authenticator was tied to your old iPhone. I've turned off two-factor authentication for one hour "
          "so you can sign in and enrol the new phone.", gap=15)
     .user_says("I'm in. I set up the authenticator on my new Pixel 9 and the codes work now.", gap=20,
                q=["alice_login"])
     .fact("Alice switched from an iPhone 13 to a Pixel 9 in early October 2026.", tags=["device"])
     .note("Ticket T-1012 (login, two-factor after phone change) resolved: Alice's second login problem.",
           q=["alice_login"])
     .note("Survey: Alice rated T-1012 4/5: 'fixed quickly, but annoying that it happened again'.",
           gap=60, tags=["csat"]))

    (s.session("bob", "2026-10-09T21:40:00Z", "chat", ["feature_request", "ui"], "T-1013")
     .user_says("Any chance you could add dark mode? The white dashboard is painful at night.", q=["bob_features"])
     .bot("Dark mode is already on the roadmap for November. I've added your vote to FR-52.",
          meta={"feature_request": "FR-52"})
     .note("Bob voted for feature request FR-52 (dark mode).", meta={"feature_request": "FR-52"}))

    (s.session("carol", "2026-10-09T15:30:00Z", "phone", ["order", "shipping"], "T-1009")
     .user_says("Still not here. It's Friday afternoon and the tracking has said 'out for delivery' since 8 am.",
                meta={"order": "O-7781"})
     .bot("I've opened a trace with the carrier and booked a courier for Monday in case it doesn't arrive today. "
          "I'll call you tomorrow at 10:00.", meta={"order": "O-7781"}))


    (s.session("erin", "2026-10-10T17:45:00Z", "chat", ["plan", "pricing"], "T-1029")
     .user_says("Quick question before I commit: what does Pro have that Basic doesn't?")
     .bot("Pro adds unlimited workspaces, version history for 180 days and priority support; Basic has 3 workspaces "
          "and 30 days of history.")
     .user_says("Basic is enough for me for now.", gap=4, q=["erin_plan"]))


def _mid_october(s):
    (s.session("dave", "2026-10-12T13:10:00Z", "email", ["feature_request", "sso"], "T-1014")
     .user_says("Feature request: we'd like SCIM provisioning so new hires in Okta get a seat automatically.")
     .bot("Thanks Dave. SCIM isn't supported yet; I've filed FR-91 with your use case (12-seat team, Okta as identity provider).",
          meta={"feature_request": "FR-91"})
     .note("Feature request FR-91 'SCIM user provisioning' filed for Dave's team.", meta={"feature_request": "FR-91"}))

    (s.session("alice", "2026-10-12T17:05:00Z", "email", ["account", "address"], "T-1015")
     .user_says("I've moved from Berlin to Munich. Please update my billing and shipping address to "
                "Leopoldstraße 12, 80802 München.", q=["alice_city"], tags=["location"])
     .bot("Done: your billing and shipping address is now Leopoldstraße 12, 80802 München. Invoices from today show the new address.",
          gap=30)
     .fact("Alice moved from Berlin to Munich on 2026-10-12.", q=["alice_city"], importance=0.8,
           tags=["profile", "location"])
     .fact("Alice lives in Munich (Leopoldstraße 12, 80802 München).", q=["alice_city"], importance=0.8,
           tags=["profile", "location"]))

    (s.session("alice", "2026-10-13T12:00:00Z", "chat", ["account", "address"], "T-1015")
     .user_says("Just double-checking that you have my new address in München? A parcel went to Berlin last year.",
                q=["alice_city"], tags=["location"])
     .bot("Yes, we have Leopoldstraße 12, 80802 München on file for billing and shipping.", q=["alice_city"]))

    (s.session("carol", "2026-10-14T09:20:00Z", "phone", ["order", "shipping"], "T-1009")
     .user_says("The chair finally arrived, but the left armrest is cracked.", q=["carol_shipping"],
                meta={"order": "O-7781"})
     .bot("I'm sorry. I've sent a replacement armrest (order O-7902) by express at no charge; it should arrive by 2026-10-17.",
          q=["carol_shipping"], meta={"order": "O-7902"})
     .fact("Carol owns replacement order O-7902 (armrest for O-7781), shipped express.", meta={"order": "O-7902"})
     .note("Shipping delay on O-7781 ended with delivery on 2026-10-14, 12 days late, item damaged.",
           q=["carol_shipping"], importance=0.6, meta={"order": "O-7781"}))

    (s.session("erin", "2026-10-14T19:00:00Z", "chat", ["billing", "cancellation"], "T-1016")
     .user_says("If I ever cancel Basic, do I lose my files?")
     .bot("No. You keep read-only access for 90 days after cancelling, and you can export everything as a ZIP file.")
     .user_says("Good to know. I'm not cancelling, just checking.", gap=2))

    (s.session("bob", "2026-10-15T10:00:00Z", "chat", ["plan", "billing"], "T-1017")
     .user_says("We're growing, please upgrade me from Basic to Pro.", q=["bob_plan"])
     .bot("You're now on the Pro plan. The price difference for the rest of this month will be prorated on your next invoice.",
          q=["bob_plan"])
     .fact("Bob upgraded from the Basic plan to the Pro plan on 2026-10-15.", q=["bob_plan"], importance=0.8,
           tags=["profile"])
     .fact("Bob is on the Pro plan, billed monthly at €29.", q=["bob_plan"], importance=0.8, tags=["profile"]))

    (s.session("bob", "2026-10-16T09:30:00Z", "email", ["billing", "dispute"], "T-1018")
     .user_says("I was billed the full Pro price of €29 today, not a prorated amount like you promised. "
                "I dispute this charge.", q=["bob_dispute"])
     .bot("You're right, the proration didn't apply. I've raised it with our billing team; you'll get a credit for the difference.",
          gap=45)
     .note("Billing dispute opened for Bob: full €29 Pro charge instead of the prorated amount.", q=["bob_dispute"],
           importance=0.6))

    (s.session("carol", "2026-10-17T10:05:00Z", "phone", ["order", "shipping"], "T-1009")
     .user_says("The armrest arrived this morning and it fits. Thanks for handling this.", meta={"order": "O-7902"})
     .bot("Glad to hear it! I've closed the ticket and added a €50 goodwill credit to your account for the delay.",
          q=["carol_shipping"])
     .note("Ticket T-1009 closed; €50 goodwill credit applied to Carol's account.", q=["carol_shipping"])
     .pref("Carol asked again to be phoned rather than emailed; mornings suit her best.", tags=["contact"],
           q=["carol_contact"]))


def _late_october(s):
    (s.session("dave", "2026-10-20T08:45:00Z", "email", ["account", "team"], "T-1019")
     .user_says("I've left Fjordsoft and joined Polar Analytics. Can you move my login to "
                "dave.brooks@polar-analytics.io and hand the Fjordsoft admin role to Priya?", q=["dave_employer"],
                tags=["work"])
     .bot("Done: your login email is now dave.brooks@polar-analytics.io and Priya Shah is the new admin of the Fjordsoft team.",
          gap=25)
     .fact("Dave now works at Polar Analytics (previously Fjordsoft).", q=["dave_employer"], importance=0.8,
           tags=["profile", "work"])
     .fact("Priya Shah administers the Fjordsoft Team plan since 2026-10-20.", tags=["team"], importance=0.6))

    (s.session("bob", "2026-10-20T15:10:00Z", "email", ["billing", "dispute"], "T-1018")
     .bot("Billing confirmed the proration error. A credit of €19.50 has been applied and will show on your November invoice.",
          q=["bob_dispute"])
     .user_says("Thanks, that settles it.", gap=30)
     .note("Billing dispute for Bob resolved with a €19.50 credit.", q=["bob_dispute"], importance=0.6))

    (s.session("erin", "2026-10-21T11:40:00Z", "chat", ["privacy", "data"], "T-1020")
     .user_says("Where are my files stored? My company needs to know whether the data stays in the EU.")
     .bot("All workspace data for EU customers is stored in Frankfurt, Germany. The data processing agreement "
          "is under Settings → Legal.")
     .fact("Erin's employer requires EU data residency.", importance=0.6))

    (s.session("bob", "2026-10-22T13:25:00Z", "chat", ["feature_request", "reports"], "T-1021")
     .user_says("Any news on getting reports out as a spreadsheet? I'm still copying numbers into Excel by hand.",
                q=["bob_features"])
     .bot("CSV export (FR-77) is planned for the Q1 2027 release. I'll tell you when it ships.",
          q=["bob_features"], meta={"feature_request": "FR-77"}))

    (s.session("alice", "2026-10-23T07:55:00Z", "email", ["order", "shipping", "2fa"], "T-1022")
     .user_says("I ordered a USB security key (order O-8015) so I stop having two-factor trouble. "
                "It's going to the new Munich address, right?", meta={"order": "O-8015"})
     .bot("Yes: O-8015 ships to Leopoldstraße 12, 80802 München and should arrive on 2026-10-27.",
          q=["alice_city"], meta={"order": "O-8015"})
     .fact("Alice owns order O-8015 (USB security key), shipping to her Munich address.", meta={"order": "O-8015"})
     .pref("As before: Alice wants replies by email only, no phone calls.", tags=["contact"],
           q=["alice_contact"], importance=0.7))

    (s.session("dave", "2026-10-26T09:00:00Z", "email", ["plan", "team"], "T-1023")
     .user_says("At Polar Analytics we want a new Team plan with 5 seats. Can I be the admin again?")
     .bot("Sure. I've created a Team plan for Polar Analytics with 5 seats and you as admin.", gap=10)
     .fact("Dave administers a 5-seat Team plan for Polar Analytics.", q=["dave_employer"], importance=0.7,
           tags=["profile", "work"]))

    (s.session("carol", "2026-10-24T09:15:00Z", "phone", ["billing", "invoices"], "T-1030")
     .user_says("Can you send me the October invoice showing the €50 credit? Our finance team asked for it.")
     .bot("Sent to your billing contact just now; the €50 goodwill credit is listed as a separate line.")
     .note("Carol confirmed by phone that the invoice arrived.", gap=20))

    (s.session("bob", "2026-10-27T12:40:00Z", "chat", ["notifications"], "T-1031")
     .user_says("Keep it brief please: how do I stop the weekly usage email?")
     .bot("Profile → Notifications → untick 'Weekly usage'.")
     .pref("Bob again asked for brief answers.", tags=["contact"], importance=0.6))

    (s.session("erin", "2026-10-28T22:10:00Z", "chat", ["login"], "T-1024")
     .user_says("Hi, I'm locked out, it says too many sign-in attempts.")
     .bot("Your account was locked for 15 minutes after five failed attempts. It's unlocked now; "
          "you can also use 'Sign in with Apple' on your iPad.")
     .user_says("Got in. Thanks!", gap=2))

    (s.session("alice", "2026-10-29T08:10:00Z", "email", ["login", "2fa"], "T-1025")
     .user_says("The security key arrived. How do I register it so I can log in with it?", q=["alice_login"])
     .bot("Go to Settings → Security → Two-factor → Add security key, then touch the key when prompted.")
     .user_says("Registered it, and signing in with the key works perfectly.", gap=12, q=["alice_login"])
     .fact("Alice signs in with a USB security key as her second factor since 2026-10-29.", tags=["device"]))

    (s.session("bob", "2026-10-30T19:50:00Z", "chat", ["feature_request", "ui"], "T-1026")
     .user_says("Dark mode is live and looks great. Thanks for listening!", q=["bob_features"])
     .bot("Glad you like it! Switch it on under Profile → Appearance.", meta={"feature_request": "FR-52"}))

    (s.session("carol", "2026-10-30T09:35:00Z", "phone", ["order", "shipping"], "T-1027")
     .user_says("We're opening a second office in Berlin. I'd like 6 more ErgoPro chairs delivered there, "
                "and please make sure they arrive on time this time.", meta={"order": "O-8122"})
     .bot("Order O-8122 for 6 ErgoPro chairs is confirmed for delivery to Berlin on 2026-11-06, flagged as priority shipping.",
          meta={"order": "O-8122"})
     .fact("Carol owns order O-8122 (6 ErgoPro chairs) for Kestrel Design's new Berlin office, priority shipping.",
           meta={"order": "O-8122"}))

    (s.session("dave", "2026-11-01T10:20:00Z", "email", ["feature_request", "sso"], "T-1028")
     .user_says("Is SCIM on the roadmap yet? Polar Analytics would need it too.")
     .bot("FR-91 (SCIM provisioning) has 14 votes and is being scoped for 2027. I've added Polar Analytics to it.",
          meta={"feature_request": "FR-91"}))

    (s.session("erin", "2026-11-01T16:30:00Z", "chat", ["notifications"], "T-1032")
     .user_says("Could the summary email come on Fridays instead of Mondays? I plan my week on Friday afternoons.",
                q=["erin_digest"], tags=["notifications"])
     .bot("Done: your weekly digest now arrives every Friday at 15:00.", q=["erin_digest"], tags=["notifications"])
     .pref("Erin now wants the weekly digest on Fridays (changed from Mondays).", q=["erin_digest"],
           tags=["notifications"], importance=0.7))


def triples():
    """The knowledge graph of the same world. valid_to marks superseded facts."""
    T = []

    def t(subject, predicate, obj, confidence, valid_from, source, valid_to=None):
        row = {"subject": subject, "predicate": predicate, "object": obj, "confidence": confidence,
               "valid_from": valid_from}
        if valid_to:
            row["valid_to"] = valid_to
        row["source"] = source
        T.append(row)

    crm = "2026-09-21T08:00:00Z"
    t("Alice", "lives_in", "Berlin", 0.95, crm, "crm", valid_to="2026-10-12T00:00:00Z")
    t("Alice", "lives_in", "Munich", 0.9, "2026-10-12T00:00:00Z", "conversation")
    t("Alice", "works_at", "Lumen Health", 0.95, crm, "crm")
    t("Alice", "has_plan", "Pro", 0.95, crm, "crm")
    t("Alice", "prefers", "email contact", 0.95, "2026-09-22T00:00:00Z", "conversation")
    t("Alice", "prefers", "German invoices", 0.9, "2026-09-24T00:00:00Z", "conversation")
    t("Alice", "uses_device", "iPhone 13", 0.8, crm, "conversation", valid_to="2026-10-01T00:00:00Z")
    t("Alice", "uses_device", "Pixel 9", 0.9, "2026-10-01T00:00:00Z", "conversation")
    t("Alice", "uses_device", "USB security key", 0.9, "2026-10-29T00:00:00Z", "conversation")
    t("Alice", "reported", "T-1001", 1.0, "2026-09-22T00:00:00Z", "ticket")
    t("Alice", "reported", "T-1010", 1.0, "2026-10-03T00:00:00Z", "ticket")
    t("Alice", "reported", "T-1012", 1.0, "2026-10-08T00:00:00Z", "ticket")
    t("Alice", "owns_order", "O-8015", 1.0, "2026-10-23T00:00:00Z", "ticket")
    t("Bob", "has_plan", "Basic", 0.95, crm, "crm", valid_to="2026-10-15T00:00:00Z")
    t("Bob", "has_plan", "Pro", 0.95, "2026-10-15T00:00:00Z", "conversation")
    t("Bob", "works_at", "Harbor Logistics", 0.95, crm, "crm")
    t("Bob", "lives_in", "Leeds", 0.8, crm, "crm")
    t("Bob", "uses_device", "Pixel 8", 0.9, "2026-09-27T00:00:00Z", "conversation")
    t("Bob", "prefers", "chat support", 0.85, "2026-09-23T00:00:00Z", "conversation")
    t("Bob", "requested", "FR-77", 1.0, "2026-09-23T00:00:00Z", "ticket")
    t("Bob", "requested", "FR-52", 1.0, "2026-10-09T00:00:00Z", "ticket")
    t("Bob", "reported", "T-1018", 1.0, "2026-10-16T00:00:00Z", "ticket")
    t("Carol", "works_at", "Kestrel Design", 0.95, crm, "crm")
    t("Carol", "has_plan", "Enterprise", 0.95, crm, "crm")
    t("Carol", "lives_in", "Hamburg", 0.9, crm, "crm")
    t("Carol", "prefers", "phone calls, 9-12 CET", 0.95, "2026-09-25T00:00:00Z", "conversation")
    t("Carol", "owns_order", "O-7781", 1.0, "2026-09-25T00:00:00Z", "ticket")
    t("Carol", "owns_order", "O-7902", 1.0, "2026-10-14T00:00:00Z", "ticket")
    t("Carol", "owns_order", "O-8122", 1.0, "2026-10-30T00:00:00Z", "ticket")
    t("Carol", "reported", "T-1009", 1.0, "2026-10-03T00:00:00Z", "ticket")
    t("O-7902", "replaces_part_of", "O-7781", 1.0, "2026-10-14T00:00:00Z", "ticket")
    t("Dave", "works_at", "Fjordsoft", 0.95, crm, "crm", valid_to="2026-10-20T00:00:00Z")
    t("Dave", "works_at", "Polar Analytics", 0.9, "2026-10-20T00:00:00Z", "conversation")
    t("Dave", "has_plan", "Team", 0.95, crm, "crm")
    t("Dave", "uses_device", "Ubuntu 24.04", 0.8, "2026-09-29T00:00:00Z", "conversation")
    t("Dave", "prefers", "detailed technical answers", 0.85, "2026-09-29T00:00:00Z", "conversation")
    t("Dave", "reported", "T-1006", 1.0, "2026-09-29T00:00:00Z", "ticket")
    t("Dave", "requested", "FR-91", 1.0, "2026-10-12T00:00:00Z", "ticket")
    t("Priya Shah", "works_at", "Fjordsoft", 0.8, "2026-10-20T00:00:00Z", "conversation")
    t("Erin", "lives_in", "Dublin", 0.95, crm, "crm")
    t("Erin", "has_plan", "Free trial", 0.95, "2026-09-20T00:00:00Z", "crm", valid_to="2026-10-05T00:00:00Z")
    t("Erin", "has_plan", "Basic", 0.95, "2026-10-05T00:00:00Z", "conversation")
    t("Erin", "uses_device", "iPad", 0.9, "2026-09-30T00:00:00Z", "conversation")
    t("Erin", "prefers", "weekly digest on Mondays", 0.9, "2026-09-30T00:00:00Z", "conversation",
      valid_to="2026-11-01T00:00:00Z")
    t("Erin", "prefers", "weekly digest on Fridays", 0.9, "2026-11-01T00:00:00Z", "conversation")
    t("T-1001", "concerns", "login", 1.0, "2026-09-22T00:00:00Z", "ticket")
    t("T-1012", "concerns", "login", 1.0, "2026-10-08T00:00:00Z", "ticket")
    t("T-1010", "concerns", "billing", 1.0, "2026-10-03T00:00:00Z", "ticket")
    t("T-1018", "concerns", "billing", 1.0, "2026-10-16T00:00:00Z", "ticket")
    t("T-1009", "concerns", "shipping", 1.0, "2026-10-03T00:00:00Z", "ticket")
    t("T-1006", "concerns", "login", 1.0, "2026-09-29T00:00:00Z", "ticket")
    return T


def finalize(memories, graph):
    """Sorts by created_at (stable), renumbers sessions and tickets in chronological order, and
    returns (memories, graph, answers) where answers maps a question label to 1-based ids."""
    import re

    memories = sorted(memories, key=lambda m: m["created_at"])
    sessions, tickets = {}, {}
    for m in memories:
        if m["session"] and m["session"] not in sessions:
            sessions[m["session"]] = f"s{len(sessions) + 1}"
        t = m["metadata"].get("ticket")
        if t and t not in tickets:
            tickets[t] = f"T-{1001 + len(tickets)}"
    ticket_re = re.compile(r"T-1\d{3}")

    def fix(text):
        return ticket_re.sub(lambda x: tickets.get(x.group(0), x.group(0)), text)

    for m in memories:
        m["content"] = fix(m["content"])
        if m["session"]:
            old = m["session"]
            m["session"] = sessions[old]
            m["tags"] = [f"session:{sessions[old]}" if t == f"session:{old}" else t for t in m["tags"]]
        if "ticket" in m["metadata"]:
            m["metadata"]["ticket"] = fix(m["metadata"]["ticket"])
    for row in graph:
        row["subject"], row["object"] = fix(row["subject"]), fix(row["object"])
    answers = {}
    for i, m in enumerate(memories, start=1):
        for label in m.pop("_q"):
            answers.setdefault(label, []).append(i)
    return memories, graph, answers

"""The retrieval-quality eval set: ~40 synthetic users chatting with an assistant over six months.

How one user is made:
1. A profile: job, city, pet, diet, phone, mobile plan, car, partner, sibling, kids, hobbies,
   allergy, language. Two to four of job/city/diet/phone/plan/car change once (old -> new).
2. 11-15 sessions on random days in 2026-01-05 .. 2026-06-27. Every piece of text is a "block"
   (a few memories that belong together, e.g. a statement and the extracted fact) placed in a
   session: old values before the change session, the change in it, restatements after it.
3. Distractors (keyword traps and facts about other people), chit-chat and session recaps.
4. Questions. Gold = every memory that states the asked value, found through the "mentions"
   each memory carries (e.g. "city#1" = the user's second city). Nothing is matched by text.

Every random choice goes through one random.Random(SEED); nothing iterates a set or depends
on hashing, so the output is byte-identical on every run.
"""

import datetime as _dt
import random

import eval_vocab as V
from common import UTC, fmt_time, overlap

SEED = 20260105
N_USERS = 40
START = _dt.datetime(2026, 1, 5, tzinfo=UTC)
DAYS = 174  # sessions fall on days 0..173 after START (up to 2026-06-27)
CHANGEABLE = ("job", "city", "diet", "phone", "plan", "car")
AGENT = "companion"
QUERY_TYPES = ("paraphrase", "keyword", "changed_fact", "multi_hop", "temporal")


ARTICLE_EXCEPTIONS = (("UX", "a"), ("HR", "an"), ("OnePlus", "a"), ("Xperia", "an"))
LONG_AGO = ("years", "grew up", "straight out of")  # wordings that cannot describe a value just adopted


def article(w):
    """'an architect', 'a UX designer', 'an HR manager', 'an iPhone 15', 'a OnePlus 12'."""
    for prefix, a in ARTICLE_EXCEPTIONS:
        if w.startswith(prefix):
            return f"{a} {w}"
    return ("an " if w[0] in "aeioAEIO" else "a ") + w


def render(template, fields):
    """str.format with Capitalised variants of every field ({Diet_says} for {diet_says})."""
    full = dict(fields)
    for k, v in fields.items():
        if isinstance(v, str) and v:
            full[k[0].upper() + k[1:]] = v[0].upper() + v[1:]
    return template.format(**full)


class Block:
    """Memories that stay together, in order, inside one session."""

    def __init__(self, items):
        self.items = items  # list of dicts: content, kind, tags, mentions, importance, ...


class User:
    def __init__(self, gen, uid):
        self.g, self.rng, self.uid = gen, gen.rng, uid
        self.values = {}  # slot -> list of field dicts (index = value number)
        self.changed = []  # slots that change, in CHANGEABLE order
        self.change_at = {}  # slot -> session index of the change
        self.sessions = []  # list of (start datetime, channel, [Block])
        self.contents = {}  # content -> True, to keep every text unique per user
        self.memories = []  # filled by flatten()
        self.queries = []

    # --- profile ---------------------------------------------------------------------------
    def make_profile(self):
        r = self.rng
        picked = r.sample(CHANGEABLE, r.choice((2, 3, 3, 4)))
        self.changed = [s for s in CHANGEABLE if s in picked]
        n = lambda slot: 2 if slot in self.changed else 1  # noqa: E731

        titles = r.sample(V.JOBS, 2)
        employers = r.sample(V.EMPLOYERS, 2)
        hqs = r.sample(V.CITIES, 2)
        self.values["job"] = [{"title": titles[i], "a_title": article(titles[i]), "employer": employers[i],
                               "years": str(r.randint(2, 12)), "hq": hqs[i]} for i in range(n("job"))]
        self.values["city"] = [{"city": c} for c in r.sample(V.CITIES, n("city"))]
        diets = r.sample(V.DIETS, 2)
        self.values["diet"] = [{"diet": d[0], "diet_says": r.choice(d[1])} for d in diets[: n("diet")]]
        self.values["phone"] = [{"phone": p, "a_phone": article(p)} for p in r.sample(V.PHONES, n("phone"))]
        carriers, plans = r.sample(V.CARRIERS, 2), r.sample(V.PLANS, 2)
        self.values["plan"] = [{"carrier": carriers[i], "plan": plans[i]} for i in range(n("plan"))]
        self.values["car"] = [{"car": c} for c in r.sample(V.CARS, n("car"))]
        used = []

        def name_for(rel):
            """A first name that fits the relation and is not yet used by this user."""
            used.append(r.choice([x for x in V.REL_NAMES[rel] if x not in used]))
            return used[-1]

        if r.random() < 0.75:
            pjob, prel = r.choice(V.JOBS), r.choice(V.PARTNER_RELS)
            self.values["partner"] = [{"prel": prel, "partner": name_for(prel), "pjob": pjob, "a_pjob": article(pjob)}]
        srel = r.choice(V.SIBLING_RELS)
        self.values["sibling"] = [{"srel": srel, "sibling": name_for(srel), "scity": r.choice(V.CITIES)}]
        if r.random() < 0.5:
            krels = [r.choice(V.KID_RELS) for _ in range(r.choice((1, 1, 2)))]
            self.values["kid"] = [{"krel": k, "kid": name_for(k), "age": str(r.randint(2, 15))} for k in krels]
        if r.random() < 0.8:
            sp = r.choice(V.SPECIES)
            self.values["pet"] = [{"species": sp, "pname": r.choice(V.PET_NAMES), "age": str(r.randint(1, 14)),
                                   "vet": r.choice(V.VETS)}]
        self.values["hobby"] = [{"hobby": h[0], "hobby_says": r.choice(h[1])} for h in r.sample(V.HOBBIES, 2)]
        if r.random() < 0.7:
            a = r.choice(V.ALLERGIES)
            self.values["allergy"] = [{"allergy": a[0], "allergy_says": r.choice(a[1])}]
        if r.random() < 0.6:
            self.values["language"] = [{"language": r.choice(V.LANGUAGES)}]

    # --- memories --------------------------------------------------------------------------
    def unique(self, text):
        """Keeps texts unique per user: a repeat gets a small natural variation."""
        for variant in (text, text + " Anyway.", "So, " + text[0].lower() + text[1:], text + " :)"):
            if variant not in self.contents:
                self.contents[variant] = True
                return variant
        raise ValueError(f"cannot make {text!r} unique")

    def mem(self, kind, text, topic, mentions=(), importance=0.5, pinned=False, source=None):
        return {"content": self.unique(text), "kind": kind, "topic": topic, "mentions": list(mentions),
                "importance": importance, "pinned": pinned, "source": source}

    def statement(self, slot, idx, near_dup_of=None):
        """A user line stating value idx of slot, maybe followed by an extracted fact or an ack."""
        r, spec, f = self.rng, V.SLOTS[slot], self.values_for(slot, idx)
        key = [f"{slot}#{idx}"]
        if near_dup_of:
            text = near_dup(r, near_dup_of)
        else:  # a restatement uses different words from the earlier statements when it can
            pool = [t for t in spec["user"] if idx == 0 or not any(w in t for w in LONG_AGO)]
            fresh = [t for t in pool if render(t, f) not in self.contents]
            text = render(r.choice(fresh or pool), f)
        items = [self.mem("user_query", text, spec["topic"], key, round(r.uniform(0.4, 0.7), 2))]
        roll = r.random()
        fact = self.extracted(slot, idx) if roll < 0.35 else None
        if fact:
            items.append(fact)
        elif roll < 0.5 and self.fresh(spec.get("ack", ()), f):
            items.append(self.mem("assistant_response", r.choice(self.fresh(spec["ack"], f)), spec["topic"], key,
                                  round(r.uniform(0.3, 0.5), 2)))
        elif roll < 0.7:
            unused = [a for a in GENERIC_ACKS if a not in self.contents]
            if unused:
                items.append(self.mem("assistant_response", r.choice(unused), spec["topic"], (),
                                      round(r.uniform(0.1, 0.3), 2)))
        return Block(items)

    def fresh(self, templates, fields):
        """Renderings of templates not yet used by this user, in template order."""
        return [t for t in (render(t, fields) for t in templates) if t not in self.contents]

    def extracted(self, slot, idx):
        """The extractor's fact for a value, or None when every wording of it is already stored."""
        r, spec, f = self.rng, V.SLOTS[slot], self.values_for(slot, idx)
        fresh = [t for t in spec["fact"] if render(t, f) not in self.contents]
        if not fresh:
            return None
        pinned = slot == "allergy"
        return self.mem(spec["fact_kind"], render(r.choice(fresh), f),
                        spec["topic"], [f"{slot}#{idx}"], 0.9 if pinned else round(r.uniform(0.6, 0.85), 2),
                        pinned=pinned, source="extractor")

    def change(self, slot):
        """The user announcing value 1 (new) of a changed slot; mentions value 0 when it names it."""
        r, spec = self.rng, V.SLOTS[slot]
        old, new = self.values[slot][0], self.values[slot][1]
        fields = dict(new)
        fields.update({"old_" + k: v for k, v in old.items()})
        t = r.choice(spec["change"])
        mentions = [f"{slot}#1"] + ([f"{slot}#0"] if "{old_" in t else [])
        items = [self.mem("user_query", render(t, fields), spec["topic"], mentions, round(r.uniform(0.5, 0.8), 2))]
        fact = self.extracted(slot, 1) if r.random() < 0.6 else None
        if fact:
            items.append(fact)
        return Block(items)

    def values_for(self, slot, idx):
        """Fields for a template; the second-hop slots borrow their owner's fields."""
        owner = {"partner_job": "partner", "sibling_city": "sibling", "vet": "pet"}.get(slot, slot)
        if slot == "hq":
            return self.values["job"][idx]
        return self.values[owner][idx]

    # --- placement -------------------------------------------------------------------------
    def make_sessions(self):
        r = self.rng
        n = r.randint(11, 15)
        days = sorted(r.sample(range(DAYS), n))
        for d in days:
            start = START + _dt.timedelta(days=d, hours=r.randint(7, 22), minutes=r.randint(0, 59))
            self.sessions.append((start, r.choice(("app", "app", "web", "voice")), []))
        for slot in self.changed:
            self.change_at[slot] = r.randint(max(2, n // 3), n - 2)

    def put(self, block, lo=0, hi=None):
        hi = len(self.sessions) - 1 if hi is None else hi
        i = self.rng.randint(lo, hi)
        self.sessions[i][2].append(block)
        return i

    def place_facts(self):
        r = self.rng
        for slot in ("job", "city", "diet", "phone", "plan", "car"):
            if slot in self.changed:
                c = self.change_at[slot]
                first = self.statement(slot, 0)
                at = self.put(first, 0, c - 1)
                if r.random() < 0.4:
                    self.put(self.statement(slot, 0, near_dup_of=pick_user_line(r, first)), at, c - 1)
                self.sessions[c][2].append(self.change(slot))
                if r.random() < 0.45 and c + 1 < len(self.sessions):
                    self.put(self.statement(slot, 1), c + 1)
            else:
                self.place_stable(slot, 0)
        for slot in ("partner", "sibling", "pet", "allergy", "language"):
            if slot in self.values:
                self.place_stable(slot, 0)
        for slot in ("kid", "hobby"):
            for i in range(len(self.values.get(slot, ()))):
                self.place_stable(slot, i)
        # Second hops: a different block, usually another session, never naming the relation.
        for slot, owner in (("partner_job", "partner"), ("sibling_city", "sibling"), ("vet", "pet")):
            if owner in self.values:
                self.put(self.second_hop(slot, 0))
        for i in range(len(self.values["job"])):
            self.put(self.second_hop("hq", i))

    def place_stable(self, slot, idx):
        r = self.rng
        first = self.statement(slot, idx)
        at = self.put(first)
        if at + 1 < len(self.sessions):
            roll = r.random()
            if roll < 0.25:
                self.put(self.statement(slot, idx, near_dup_of=pick_user_line(r, first)), at + 1)
            elif roll < 0.55:
                self.put(self.statement(slot, idx), at + 1)

    def second_hop(self, slot, idx):
        r, spec = self.rng, V.SLOTS[slot]
        f = self.values_for(slot, idx)
        if r.random() < 0.7:
            m = self.mem("user_query", render(r.choice(spec["user"]), f), spec["topic"], [f"{slot}#{idx}"],
                         round(r.uniform(0.3, 0.6), 2))
        else:
            m = self.mem(spec["fact_kind"], render(r.choice(spec["fact"]), f), spec["topic"], [f"{slot}#{idx}"],
                         round(r.uniform(0.5, 0.8), 2), source="extractor")
        return Block([m])

    def place_noise(self):
        r = self.rng
        for topic, text in r.sample(V.KEYWORD_TRAPS, r.randint(4, 6)):
            self.put(Block([self.mem("user_query", text, topic, (), round(r.uniform(0.3, 0.6), 2))]))
        for topic, t in r.sample(V.SEMANTIC_TRAPS, r.randint(4, 6)):
            self.put(Block([self.mem("user_query", render(t, self.other_fields()), topic, (),
                                     round(r.uniform(0.4, 0.7), 2))]))
        for user_line, reply, topic in r.sample(V.CHITCHAT, r.randint(6, 10)):
            self.put(Block([self.mem("user_query", user_line, topic, (), round(r.uniform(0.1, 0.35), 2)),
                            self.mem("assistant_response", reply, topic, (), round(r.uniform(0.1, 0.3), 2))]))
        for start, channel, blocks in self.sessions:
            if blocks and r.random() < 0.3:
                topics = list(dict.fromkeys(b.items[0]["topic"] for b in blocks))[:3]
                blocks.append(Block([self.mem("interaction", f"Session recap: talked about {', '.join(topics)}.",
                                              "recap", (), 0.2)]))

    def other_fields(self):
        """Values for a trap about someone else: never one of the user's own."""
        r = self.rng

        def other(pool, key_slot, key):
            mine = [v[key] for v in self.values.get(key_slot, ())]
            return r.choice([p for p in pool if p not in mine])

        title = other(V.JOBS, "job", "title")
        phone = other(V.PHONES, "phone", "phone")
        diet = r.choice([d[0] for d in V.DIETS if d[0] not in [v["diet"] for v in self.values["diet"]]])
        mine_allergy = [v["allergy"] for v in self.values.get("allergy", ())]
        return {
            "title": title, "a_title": article(title), "employer": other(V.EMPLOYERS, "job", "employer"),
            "city": other(V.CITIES, "city", "city"), "species": other(V.SPECIES, "pet", "species"),
            "pname": other(V.PET_NAMES, "pet", "pname"), "diet": diet, "phone": phone,
            "carrier": other(V.CARRIERS, "plan", "carrier"), "plan": other(V.PLANS, "plan", "plan"),
            "car": other(V.CARS, "car", "car"), "a_phone": article(phone), "name": r.choice(V.FIRST_NAMES),
            "allergy": r.choice([a[0] for a in V.ALLERGIES if a[0] not in mine_allergy]),
            "language": other(V.LANGUAGES, "language", "language"),
            "hobby": r.choice([h[0] for h in V.HOBBIES if h[0] not in [v["hobby"] for v in self.values["hobby"]]]),
        }

    # --- timestamps ------------------------------------------------------------------------
    def flatten(self):
        """Shuffles blocks inside each session (keeping change order) and stamps times."""
        r = self.rng
        for si, (start, channel, blocks) in enumerate(self.sessions):
            if not blocks:
                continue
            r.shuffle(blocks)
            t = start
            for b in blocks:
                for m in b.items:
                    t += _dt.timedelta(seconds=r.randint(15, 240))
                    m["time"], m["session_index"], m["channel"] = t, si, channel
                    m["user"] = self.uid
                    self.memories.append(m)

    def check_order(self):
        """Invariant: for a changed slot, every memory stating only the old value is older than
        every memory stating the new one (so 'newest' and 'gold of changed_fact' agree)."""
        for slot in self.changed:
            old = [m["time"] for m in self.memories if m["mentions"] == [f"{slot}#0"]]
            new = [m["time"] for m in self.memories if f"{slot}#1" in m["mentions"]]
            if old and new and max(old) >= min(new):
                raise AssertionError(f"{self.uid}: old {slot} stated after the change")

    def mentions(self, *keys):
        return [m for m in self.memories if any(k in m["mentions"] for k in keys)]

    # --- questions -------------------------------------------------------------------------
    def make_queries(self):
        r = self.rng
        for slot in r.sample(self.changed, min(2, len(self.changed))):
            q = render(r.choice(V.NOW_QUERIES[slot]), self.values[slot][1])
            self.add_query(q, self.mentions(f"{slot}#1"), "changed_fact", slot)
        slot = r.choice(self.changed)
        self.add_query(self.past_query(slot), self.mentions(f"{slot}#0"), "temporal", slot)
        hops = [h for h, owner in (("partner_job", "partner"), ("sibling_city", "sibling"), ("hq", "job"),
                                   ("vet", "pet")) if owner in self.values]
        for hop in r.sample(hops, r.choice((1, 2))):
            self.add_query(*self.multi_hop(hop), "multi_hop", hop)
        stable = [s for s in ("job", "city", "diet", "phone", "plan", "car", "pet", "partner", "sibling", "kid",
                              "hobby", "allergy", "language") if s in self.values and s not in self.changed]
        r.shuffle(stable)
        wanted = {"paraphrase": 5, "keyword": 2}
        for qtype in ("paraphrase", "keyword"):
            for slot in list(stable):
                if wanted[qtype] == 0:
                    break
                found = self.lexical_query(slot, qtype)
                if found:
                    self.add_query(found[0], found[1], qtype, slot)
                    stable.remove(slot)
                    wanted[qtype] -= 1

    def past_query(self, slot):
        """A question about the old value; {month} only when a month is clearly before the change."""
        r = self.rng
        change_month = self.sessions[self.change_at[slot]][0].month
        months = [m["time"].month for m in self.mentions(f"{slot}#0") if m["time"].month < change_month]
        templates = [t for t in V.PAST_QUERIES[slot] if months or "{month}" not in t]
        fields = dict(self.values[slot][0])
        fields["month"] = V.MONTHS[r.choice(months) - 1] if months else ""
        return render(r.choice(templates), fields)

    def multi_hop(self, hop):
        r = self.rng
        if hop == "hq":
            cur = len(self.values["job"]) - 1
            gold = self.mentions(f"job#{cur}", f"hq#{cur}")
            return render(r.choice(V.MULTI_HOP_QUERIES[hop]), self.values["job"][cur]), gold
        owner = {"partner_job": "partner", "sibling_city": "sibling", "vet": "pet"}[hop]
        gold = self.mentions(f"{owner}#0", f"{hop}#0")
        return render(r.choice(V.MULTI_HOP_QUERIES[hop]), self.values[owner][0]), gold

    def lexical_query(self, slot, qtype):
        """First candidate (seeded order) whose word overlap with the gold fits the type."""
        r = self.rng
        candidates = list(V.QUERIES[slot])
        r.shuffle(candidates)
        for t in candidates:
            fields, gold = self.query_target(slot, t)
            if gold is None:
                continue
            q = render(t, fields)
            shared = [w for m in gold for w in overlap(q, m["content"])]
            if (qtype == "paraphrase") == (not shared):
                return q, gold
        return None

    def query_target(self, slot, template):
        """Fields and gold for a question about a stable slot; kids/hobbies may have several values."""
        vals = self.values[slot]
        if slot == "kid" and ("{krel}" in template):
            rels = [v["krel"] for v in vals]
            i = 0 if len(vals) == 1 else (None if rels[0] == rels[1] else self.rng.randrange(len(vals)))
            if i is None:
                return None, None
            return vals[i], self.mentions(f"kid#{i}")
        keys = [f"{slot}#{i}" for i in range(len(vals))]
        return vals[0], self.mentions(*keys)

    def add_query(self, text, gold, qtype, slot):
        if not gold:
            raise ValueError(f"{self.uid}: no gold for {qtype} {slot}: {text}")
        self.queries.append({"query": text, "user": self.uid, "gold": gold, "type": qtype, "slot": slot})


GENERIC_ACKS = ("Thanks for telling me!", "Good to know.", "Noted!", "I'll remember that.",
                "Thanks, that helps me help you.", "Got it.", "Understood.", "Okay, saved.",
                "Thanks for sharing that.", "Good to hear from you!", "Ha, fair enough.", "I'll keep it in mind.",
                "Makes sense.", "Oh nice.", "Thanks!")
NEAR_DUP = (("As I said before: ", ""), ("Reminder: ", ""), ("", " (in case you forgot)"),
            ("Just repeating myself: ", ""), ("", " Like I told you last time."), ("Again, ", ""))


def pick_user_line(_rng, block):
    """The user line of a statement block (what a near-duplicate repeats)."""
    return block.items[0]["content"]


def near_dup(r, text):
    """Nearly the same words as an earlier statement: a repeat with a small frame around it."""
    pre, post = r.choice(NEAR_DUP)
    if post.startswith(" ("):
        return f"{text.rstrip('.!')}{post}."
    return f"{pre}{text}{post}"


class Generator:
    def __init__(self, seed=SEED):
        self.rng = random.Random(seed)

    def build(self):
        """Returns (memories, queries) ready to write: ids are line numbers, sorted by time."""
        users = []
        for i in range(1, N_USERS + 1):
            u = User(self, f"u{i:02d}")
            u.make_profile()
            u.make_sessions()
            u.place_facts()
            u.place_noise()
            u.flatten()
            u.check_order()
            u.make_queries()
            users.append(u)
        memories = [m for u in users for m in u.memories]
        order = {id(m): n for n, m in enumerate(memories)}
        memories.sort(key=lambda m: (m["time"], m["user"], order[id(m)]))
        line_of = {id(m): n for n, m in enumerate(memories, start=1)}
        session_ids = {}
        out = []
        for m in memories:
            skey = (m["user"], m["session_index"])
            if skey not in session_ids:
                session_ids[skey] = f"s{len(session_ids) + 1}"
            out.append(to_line(m, session_ids[skey]))
        queries = [q for u in users for q in u.queries]
        qout = []
        for q in queries:
            gold = sorted(line_of[id(m)] for m in q["gold"])
            qout.append({"query": q["query"], "user": q["user"], "gold": gold, "type": q["type"],
                         "_slot": q["slot"], "_gold_text": [m["content"] for m in q["gold"]]})
        return out, qout


def to_line(m, sid):
    meta = {"source": m["source"]} if m["source"] else {"channel": m["channel"]}
    return {
        "content": m["content"], "kind": m["kind"], "tags": [m["topic"], m["kind"], f"session:{sid}"],
        "metadata": meta, "user": m["user"], "session": sid, "agent": AGENT, "importance": m["importance"],
        "pinned": m["pinned"], "created_at": fmt_time(m["time"]),
    }

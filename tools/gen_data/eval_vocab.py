"""Word pools and templates for the eval set. Pure data: the logic lives in eval_set.py.

Templates are str.format strings. Fields: {title} {a_title} {employer} {city} {species} {pname}
{diet} {diet_says} {phone} {plan} {carrier} {car} {prel} {partner} {pjob} {a_pjob} {srel}
{sibling} {scity} {kid} {krel} {age} {hobby_says} {allergy} {allergy_says} {language} {hq}
{vet} {years} and {old_*} for the previous value of a changed slot.
"""

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

JOBS = (
    "nurse", "pharmacist", "civil engineer", "primary school teacher", "UX designer", "accountant",
    "paramedic", "software developer", "veterinarian", "architect", "electrician", "dental hygienist",
    "journalist", "physiotherapist", "sous-chef", "data analyst", "lawyer", "translator", "airline pilot",
    "librarian", "marine biologist", "carpenter", "social worker", "financial advisor", "graphic designer",
    "project manager", "radiographer", "museum curator", "police officer", "HR manager", "optician",
    "landscape gardener", "sound engineer", "flight attendant", "bookkeeper", "speech therapist",
)
EMPLOYERS = (
    "Northwind Clinic", "Brightwater Pharmacy", "Keller & Sons", "Corvid Labs", "Halcyon Bank",
    "Greenfield Primary", "Atlas Freight", "Bluepeak Studio", "Meridian Hospital", "Oakline Insurance",
    "Tidewater Logistics", "Fernhill Council", "Quarry Lane Architects", "Lumen Media", "Harbourview Hotel",
    "Copperleaf Bistro", "Stellar Airways", "Riverside Library", "Vantage Legal", "Pinecrest Vets",
    "Orbitron Games", "Saltmarsh Institute", "Ironbridge Construction", "Mosaic Translations",
    "Cobalt Consulting", "Silverline Rail", "Juniper Health", "Redwood Publishing", "Nimbus Software",
    "Parkway Opticians", "Foxglove Gardens", "Echo Sound Studios", "Granite Trust", "Wildflower School",
    "Beacon Rescue Service", "Summit Dental",
)
CITIES = (
    "Lisbon", "Porto", "Rotterdam", "Ghent", "Lyon", "Bologna", "Kraków", "Valencia", "Edinburgh",
    "Bristol", "Copenhagen", "Gothenburg", "Tallinn", "Ljubljana", "Vienna", "Zurich", "Dublin", "Cork",
    "Seville", "Antwerp", "Leipzig", "Hamburg", "Munich", "Prague", "Brno", "Turin", "Marseille",
    "Bordeaux", "Oslo", "Bergen", "Helsinki", "Riga", "Vilnius", "Montreal", "Denver", "Melbourne",
    "Utrecht", "Nantes", "Malmö", "Graz",
)
SPECIES = ("cat", "dog", "rabbit", "parrot", "tortoise", "hamster", "guinea pig", "ferret", "beagle",
           "border collie", "budgie", "bearded dragon")
PET_NAMES = ("Miso", "Biscuit", "Pepper", "Luna", "Olive", "Mochi", "Ziggy", "Nacho", "Pickle", "Juniper",
             "Pretzel", "Rocket", "Mabel", "Tofu", "Waffles", "Clementine", "Bruno", "Noodle", "Pixel",
             "Sherlock", "Poppy", "Gizmo", "Hazel", "Crumble")
VETS = ("Dr. Okonkwo", "Dr. Varga", "Dr. Lindqvist", "Dr. Moreau", "Dr. Castillo", "Dr. Brennan",
        "Dr. Haddad", "Dr. Nakamura", "Dr. Rossi", "Dr. Kowalski")
# (name used in facts, first-person clauses a user might say)
DIETS = (
    ("vegetarian", ("I'm vegetarian", "I stopped eating meat years ago", "no meat for me, I'm veggie")),
    ("vegan", ("I'm vegan", "I eat a fully plant-based diet", "I don't eat any animal products")),
    ("pescatarian", ("I'm pescatarian", "I eat fish but no other meat", "seafood is the only meat I eat")),
    ("gluten-free", ("I have coeliac disease so everything has to be gluten-free", "I can't eat gluten",
                     "wheat makes me properly ill, coeliac")),
    ("keto", ("I'm doing keto", "I'm on a low-carb, high-fat diet", "I've cut out bread, pasta and sugar")),
    ("lactose-free", ("I'm lactose intolerant", "dairy doesn't agree with me, so no milk or cheese",
                      "I avoid milk products")),
    ("halal", ("I only eat halal food", "everything I eat has to be halal")),
    ("flexitarian", ("I'm mostly vegetarian but eat meat now and then", "I eat meat maybe once a week")),
)
PHONES = ("Pixel 8", "iPhone 15", "Galaxy S24", "Fairphone 5", "OnePlus 12", "iPhone 13 mini", "Pixel 7a",
          "Xperia 10", "Nothing Phone 2", "Moto G84", "iPhone SE", "Galaxy A54")
CARRIERS = ("Lyra Mobile", "Kite Telecom", "Orbit", "Nova Connect", "Bramble Mobile", "Tern Wireless")
PLANS = ("unlimited data", "20 GB monthly", "5 GB prepaid", "four-line family", "SIM-only 50 GB",
         "pay-as-you-go")
CARS = ("a 2014 VW Golf", "an old Toyota Yaris", "a Tesla Model 3", "a Renault Zoe", "a Volvo V60",
        "a Fiat Panda", "a Skoda Octavia estate", "a Mazda MX-5", "a Kia Niro", "a Honda Jazz",
        "a Ford Transit camper", "a Peugeot 208")
PARTNER_RELS = ("wife", "husband", "partner", "girlfriend", "boyfriend")
FEMALE_NAMES = ("Ines", "Leila", "Sanne", "Yuki", "Aoife", "Freya", "Amara", "Priya", "Elif", "Nadia", "Zara",
                "Chloe", "Ingrid", "Maren", "Hana", "Sofia", "Astrid", "Lotte", "Mira")
MALE_NAMES = ("Tomasz", "Marco", "Kwame", "Mateo", "Dmitri", "Jonas", "Oscar", "Felix", "Bram", "Rafael", "Tariq",
              "Luca", "Emeka", "Niall", "Karim", "Diego", "Henrik")
FIRST_NAMES = FEMALE_NAMES + MALE_NAMES
# Which name list a relation draws from; "partner" draws from both.
REL_NAMES = {"wife": FEMALE_NAMES, "girlfriend": FEMALE_NAMES, "sister": FEMALE_NAMES, "daughter": FEMALE_NAMES,
             "husband": MALE_NAMES, "boyfriend": MALE_NAMES, "brother": MALE_NAMES, "son": MALE_NAMES,
             "partner": FIRST_NAMES}
SIBLING_RELS = ("sister", "brother")
KID_RELS = ("daughter", "son")
HOBBIES = (
    ("bouldering", ("I go bouldering twice a week", "climbing at the bouldering gym is my therapy")),
    ("sourdough baking", ("I bake sourdough every weekend", "my sourdough starter is three years old now")),
    ("chess", ("I play chess online most evenings", "I'm in a chess club on Thursdays")),
    ("trail running", ("I run trails in the hills on Sundays", "trail running is my thing, muddy and happy")),
    ("watercolour painting", ("I paint watercolours when I need to switch off",
                              "I've been doing watercolour landscapes for a few years")),
    ("birdwatching", ("I go birdwatching with binoculars most weekends", "I keep a list of every bird I've spotted")),
    ("bass guitar", ("I play bass in a little covers band", "I practise bass guitar every evening")),
    ("pottery", ("I do pottery at a studio on Wednesdays", "throwing pots on the wheel is my favourite thing")),
    ("salsa dancing", ("I go salsa dancing on Friday nights", "I take salsa classes twice a week")),
    ("woodworking", ("I build furniture in my little woodworking shed", "woodworking is how I relax")),
    ("knitting", ("I knit, mostly jumpers and socks", "I always have some knitting on the go")),
    ("photography", ("I shoot film photography", "I take my camera everywhere, street photography mostly")),
    ("gardening", ("I grow vegetables on my allotment", "gardening takes up most of my weekends")),
    ("board games", ("we have a board game night every Tuesday", "I collect board games, about 80 now")),
    ("kayaking", ("I go sea kayaking in summer", "I paddle my kayak on the river most weekends")),
    ("choir singing", ("I sing in a community choir", "choir rehearsal on Mondays is sacred to me")),
)
ALLERGIES = (
    ("peanuts", ("I'm allergic to peanuts", "peanuts could put me in hospital")),
    ("shellfish", ("I'm allergic to shellfish", "prawns and mussels give me a bad reaction")),
    ("penicillin", ("I'm allergic to penicillin", "penicillin gives me a nasty rash")),
    ("pollen", ("I get terrible hay fever from pollen", "pollen season wrecks me every year")),
    ("bee stings", ("I'm allergic to bee stings and carry an EpiPen", "one bee sting and I need my EpiPen")),
    ("latex", ("I'm allergic to latex", "latex gloves make my hands swell up")),
    ("tree nuts", ("I can't have tree nuts, I'm allergic", "almonds and walnuts are off-limits, allergy")),
    ("dust mites", ("I'm allergic to dust mites", "dust makes me sneeze all night, it's an allergy")),
)
LANGUAGES = ("Spanish", "Japanese", "Portuguese", "Korean", "Italian", "Dutch", "Finnish", "Greek",
             "Arabic", "Mandarin", "Swedish", "Polish")

# --- user statements, extracted facts and acknowledgements per slot ---------------------------
# "user": first-person chat lines. "fact": what an extractor would store. "ack": the assistant's
# reply that repeats the value. "change": a user line announcing a new value ({old_*} = previous).
SLOTS = {
    "job": {
        "topic": "work", "fact_kind": "fact",
        "user": (
            "I work as {a_title} at {employer}.",
            "I'm {a_title}, been at {employer} for {years} years now.",
            "Long shift at {employer} again. Being {a_title} is never boring.",
            "My job? I'm {a_title}. {employer} hired me straight out of university.",
            "Just so you know, {employer} employs me as their {title}.",
            "Currently with {employer}, working as {a_title}.",
            "Spent all day at {employer} doing {title} stuff, I'm wiped.",
        ),
        "fact": ("User is {a_title} at {employer}.", "Occupation: {title} ({employer}).",
                 "The user works for {employer} in a {title} role."),
        "ack": ("Noted: you're {a_title} at {employer}.", "Got it, {title} at {employer}. That sounds demanding!"),
        "change": (
            "I quit {old_employer}! Starting next Monday as {a_title} at {employer}.",
            "New job news: I'm now {a_title} at {employer}.",
            "Big change, I accepted an offer from {employer}. I'll be their new {title}.",
            "Left my old place. These days I'm {a_title} with {employer}.",
            "After {years} years as {old_a_title} I switched careers: {title} at {employer} now.",
        ),
    },
    "city": {
        "topic": "home", "fact_kind": "fact",
        "user": (
            "I live in {city}.",
            "Home for me is {city}.",
            "I've been based in {city} for a few years.",
            "Here in {city} it's been raining all week.",
            "My flat in {city} is tiny but I love it.",
            "I grew up elsewhere but {city} is home now.",
            "Greetings from rainy {city}, where I live.",
        ),
        "fact": ("User lives in {city}.", "Home city: {city}.", "The user's place of residence is {city}."),
        "ack": ("Noted that you live in {city}.", "{city}, lovely! I'll keep that in mind for local tips."),
        "change": (
            "We finally moved, I'm living in {city} now.",
            "I relocated from {old_city} to {city} last weekend.",
            "New address: I've settled in {city}.",
            "Packing is done, first night in our new place in {city}!",
            "Said goodbye to {old_city}. {city} is home from now on.",
        ),
    },
    "pet": {
        "topic": "pets", "fact_kind": "fact",
        "user": (
            "I have a {species} called {pname}.",
            "{pname}, my {species}, knocked a plant off the shelf again.",
            "We adopted a {species} named {pname} from the shelter.",
            "My {species} {pname} is {age} years old and still acts like a baby.",
            "{pname} (my {species}) slept on my keyboard all afternoon.",
        ),
        "fact": ("User has a pet {species} named {pname}.", "Pet: {species}, name {pname}."),
        "ack": ("{pname} sounds adorable! How is your {species} doing?",),
    },
    "diet": {
        "topic": "food", "fact_kind": "preference",
        "user": (
            "Just so you know, {diet_says}.",
            "{Diet_says}, so keep that in mind for recipe ideas.",
            "When you suggest meals, remember {diet_says}.",
            "{Diet_says}. Restaurants are hard sometimes.",
        ),
        "fact": ("User's diet: {diet}.", "Dietary preference: {diet}.", "The user eats {diet}."),
        "ack": ("Noted, I'll only suggest {diet} dishes.",),
        "change": (
            "Update: {diet_says} since last month.",
            "I've switched things up, {diet_says} now. I used to be {old_diet}.",
            "Heads up, my diet changed: {diet_says}.",
            "No longer {old_diet}! These days {diet_says}.",
        ),
    },
    "phone": {
        "topic": "devices", "fact_kind": "fact",
        "user": (
            "My phone is {a_phone}.",
            "I'm typing this on my {phone}.",
            "The battery on my {phone} barely lasts a day.",
            "I use {a_phone}, if that matters for the app.",
            "Dropped my {phone} this morning, screen survived somehow.",
        ),
        "fact": ("User's phone: {phone}.", "The user owns {a_phone} smartphone."),
        "ack": ("Thanks, I'll give you instructions for the {phone}.",),
        "change": (
            "Finally upgraded: got {a_phone}, the old {old_phone} is retired.",
            "New phone day! {phone}.",
            "My {old_phone} died, so I bought {a_phone}.",
            "Switched to {a_phone} last week and I'm still learning it.",
        ),
    },
    "plan": {
        "topic": "mobile", "fact_kind": "fact",
        "user": (
            "I'm on {carrier}'s {plan} plan.",
            "My contract with {carrier}: {plan}, renewed every year.",
            "I pay {carrier} for {plan}, it's fine most months.",
            "Mobile-wise I have {plan} with {carrier}.",
        ),
        "fact": ("User's mobile plan: {plan} with {carrier}.", "Mobile contract: {carrier}, {plan}."),
        "ack": ("Got it, {plan} with {carrier}.",),
        "change": (
            "Switched my mobile contract to {carrier}'s {plan} plan.",
            "Cancelled {old_carrier} and signed up for {plan} with {carrier}.",
            "Changed tariffs: {plan} with {carrier} from this month.",
        ),
    },
    "car": {
        "topic": "transport", "fact_kind": "fact",
        "user": (
            "I drive {car}.",
            "My car is {car}, nothing fancy.",
            "Took the car in for a service today: {car} with 90,000 km on the clock.",
            "Road trip this weekend in {car}, fingers crossed it makes it.",
        ),
        "fact": ("User drives {car}.", "Vehicle: {car}."),
        "ack": ("Noted, you drive {car}.",),
        "change": (
            "Sold {old_car} and bought {car}.",
            "Traded in {old_car}, I'm driving {car} now.",
            "New wheels: {car}. Goodbye, {old_car}!",
        ),
    },
    "partner": {
        "topic": "family", "fact_kind": "fact",
        "user": (
            "My {prel} {partner} and I just celebrated our anniversary.",
            "{partner}, my {prel}, is cooking tonight, thank goodness.",
            "I'm planning a surprise for my {prel} {partner}.",
        ),
        "fact": ("User's {prel} is called {partner}.",),
        "ack": ("How lovely! Say hi to {partner}.",),
    },
    "partner_job": {  # the second hop: names the partner, never says 'my wife'
        "topic": "family", "fact_kind": "fact",
        "user": (
            "{partner} works as {a_pjob}, so our schedules never line up.",
            "{partner} got promoted, still {a_pjob} but now leading a team.",
        ),
        "fact": ("{partner} is {a_pjob}.",),
    },
    "sibling": {
        "topic": "family", "fact_kind": "fact",
        "user": (
            "My {srel} is called {sibling}.",
            "{sibling} is my older {srel}, we talk every Sunday.",
            "Had a long call with my little {srel} {sibling} today.",
        ),
        "fact": ("User has a {srel} named {sibling}.",),
    },
    "sibling_city": {
        "topic": "family", "fact_kind": "fact",
        "user": (
            "{sibling} has lived in {scity} for ages and keeps inviting me over.",
            "{sibling} just bought a flat in {scity}.",
            "Visiting {sibling} in {scity} next month.",
        ),
        "fact": ("{sibling} lives in {scity}.",),
    },
    "kid": {
        "topic": "family", "fact_kind": "fact",
        "user": (
            "My {krel} {kid} turns {age} next week.",
            "{kid}, my {krel}, started at a new school.",
            "Bedtime battles with my {age}-year-old {krel} {kid} again.",
        ),
        "fact": ("User has a {krel}, {kid}, aged {age}.",),
    },
    "hobby": {
        "topic": "hobbies", "fact_kind": "preference",
        "user": ("{Hobby_says}.", "In my free time {hobby_says}.", "Not to brag, but {hobby_says}.",
                 "{Hobby_says}, it keeps me sane."),
        "fact": ("User's hobby: {hobby}.", "Enjoys {hobby}."),
    },
    "allergy": {
        "topic": "health", "fact_kind": "fact",
        "user": ("Important: {allergy_says}.", "{Allergy_says}, just so you know.",
                 "Please remember {allergy_says}."),
        "fact": ("User is allergic to {allergy}.", "Allergy: {allergy}."),
    },
    "language": {
        "topic": "learning", "fact_kind": "preference",
        "user": ("I'm learning {language} on the side.", "Day 120 of my {language} streak!",
                 "Trying to get conversational in {language} before summer.",
                 "My {language} teacher says my pronunciation is improving."),
        "fact": ("User is studying {language}.",),
    },
    "hq": {  # the second hop for "where is my company based?": never says 'I work there'
        "topic": "work", "fact_kind": "fact",
        "user": ("{employer} has its head office in {hq}.", "Apparently {employer} started out in {hq}, "
                 "and the headquarters is still there."),
        "fact": ("{employer} is headquartered in {hq}.",),
    },
    "vet": {  # the second hop for "who is my pet's vet?": uses the pet's name only
        "topic": "pets", "fact_kind": "fact",
        "user": ("{pname} has a check-up with {vet} on Friday.", "{vet} says {pname} needs to lose some weight."),
        "fact": ("{pname}'s vet is {vet}.",),
    },
}

# --- questions -----------------------------------------------------------------------------
# Candidates are tried in a seeded order; eval_set.py keeps a "paraphrase" candidate only if it
# shares no content word with any gold memory and a "keyword" candidate only if it shares one.
QUERIES = {
    "job": ("What do I do for a living?", "What's my profession?", "Which company pays my salary?",
            "What line of business am I in?", "Who is my employer?", "What's my occupation?",
            "Where do I work?", "What is my job?", "Which company do I work for?",
            "What did I say about working at {employer}?", "How do I earn money these days?"),
    "city": ("Which town am I based in?", "Where is my home?", "Where do I reside?",
             "What's my place of residence?", "Which city do I call home?", "Where do I live?",
             "Which city do I live in?", "Remind me of the place I stay.", "Where's my flat?"),
    "pet": ("What's the name of my animal companion?", "What is my pet called?", "What animal do I keep?",
            "What kind of animal lives with me?", "What's my {species}'s name?",
            "What did I name my {species}?", "Do I have any critters at home?"),
    "diet": ("What should you keep in mind when suggesting dinner for me?", "Are there foods I avoid?",
             "What are my eating habits?", "What diet do I follow?", "What can't I eat?",
             "Any dietary restrictions I mentioned?", "What should recipe suggestions respect for me?"),
    "phone": ("Which handset do I carry?", "What mobile device do I own?", "What phone do I have?",
              "What's my smartphone model?", "Which phone am I using?"),
    "plan": ("Which mobile plan am I on?", "What's my cellular subscription?", "Who provides my mobile service?",
             "How much data does my contract include?", "Which carrier am I with?",
             "What tariff do I pay for?"),
    "car": ("What do I drive?", "What's my car?", "Which vehicle do I own?", "What kind of motor do I have?",
            "What car do I have?"),
    "partner": ("What's my {prel}'s name?", "Who is my significant other?", "Who am I in a relationship with?",
                "What is my partner called?"),
    "sibling": ("What's my {srel}'s name?", "Who is my sibling?", "What is my {srel} called?"),
    "kid": ("What are my kids called?", "How many children do I have?", "Tell me about my children.",
            "What's the name of my {krel}?", "How old is my {krel}?"),
    "hobby": ("What do I do in my spare time?", "How do I like to unwind?", "What are my pastimes?",
              "What are my hobbies?", "What do I enjoy doing on weekends?", "What activities am I into?"),
    "allergy": ("Is there anything my body reacts badly to?", "What should a doctor know before treating me?",
                "What am I allergic to?", "Do I have any allergies?", "What must I avoid for medical reasons?"),
    "language": ("Which foreign tongue am I studying?", "What language am I learning?",
                 "Which language practice streak did I mention?", "What am I trying to speak fluently?"),
}
# "now" questions ask for the current value of a changed slot.
NOW_QUERIES = {
    "job": ("What's my current job?", "Where am I working these days?", "What do I do for work now?",
            "Who employs me at the moment?", "What's my profession nowadays?"),
    "city": ("Where do I live now?", "Which city am I in these days?", "Where's home at the moment?",
             "Where did I end up moving to?", "What's my current city?"),
    "diet": ("What's my diet now?", "How do I eat these days?", "What are my current eating habits?",
             "What should dinner suggestions respect for me at the moment?"),
    "phone": ("What phone do I have now?", "Which handset am I using at the moment?", "What's my current smartphone?",
              "Which mobile device do I carry these days?"),
    "plan": ("Which mobile plan am I on now?", "Who is my current carrier?", "What's my cellular contract at the moment?",
             "What tariff am I paying for these days?"),
    "car": ("What do I drive now?", "What's my current car?", "Which vehicle do I own these days?"),
}
# "past" questions ask for the value a changed slot had before; {month} is a month when it held.
PAST_QUERIES = {
    "job": ("What was my job before I switched?", "Where did I work previously?",
            "What did I do for a living back in {month}?", "Which employer did I leave?"),
    "city": ("Where did I live before I moved?", "Which city was home back in {month}?",
             "Where was I living in {month}?", "Which place did I move away from?"),
    "diet": ("What was my diet before I changed it?", "How did I eat back in {month}?",
             "What kind of eater was I in {month}?"),
    "phone": ("What phone did I have before the current one?", "Which handset did I use back in {month}?",
              "What was my old phone?"),
    "plan": ("Which mobile plan was I on before switching?", "Who was my carrier back in {month}?",
             "What was my old mobile contract?"),
    "car": ("What did I drive before?", "What car did I have in {month}?", "Which car did I get rid of?"),
}
MULTI_HOP_QUERIES = {
    "partner_job": ("What does my {prel} do for a living?", "What is my {prel}'s job?",
                    "Where does my {prel} work, what's the role?"),
    "sibling_city": ("Which city does my {srel} live in?", "Where does my {srel} live?",
                     "Where would I go to visit my {srel}?"),
    "hq": ("In which city is my employer's head office?", "Where is the company I work for headquartered?",
           "Which city is my company based in?"),
    "vet": ("Who is my {species}'s vet?", "Which vet does my pet see?", "What's the name of my {species}'s doctor?"),
}

# --- distractors ---------------------------------------------------------------------------
# Keyword traps: share the words people use in questions, not the meaning. (topic tag, text)
KEYWORD_TRAPS = (
    ("home", "Work on the kitchen renovation is finally done."),
    ("devices", "My laptop doesn't work since the update, any tips?"),
    ("chitchat", "Is it normal to feel tired after work every single day?"),
    ("home", "The city marathon closed half the streets today."),
    ("chitchat", "Where do people live longest? Saw a documentary about it."),
    ("chitchat", "Pet peeve: people who don't indicate at roundabouts."),
    ("chitchat", "What's a good name for a houseplant? Asking for a friend."),
    ("food", "Is diet soda actually worse than regular soda?"),
    ("food", "Can you give me a recipe for a quick dinner with what's in my fridge: eggs, spinach, feta?"),
    ("chitchat", "Can you help me write a phone call script for calling my landlord?"),
    ("chitchat", "Can you help me plan a weekend in the mountains?"),
    ("chitchat", "What's the plan if it rains at the picnic? Indoor games?"),
    ("transport", "The car park at the station was full again."),
    ("transport", "Car-free Sunday in the centre today, so quiet."),
    ("health", "I'm allergic to Monday meetings, haha."),
    ("learning", "What language is used most on the internet?"),
    ("chitchat", "My free time this week is exactly zero minutes."),
    ("family", "The family group chat is chaos today."),
    ("chitchat", "Which company makes the best running shoes?"),
    ("devices", "My contract with the gym renews in May, should I cancel?"),
    ("chitchat", "What animal would win in a race, a hare or an ostrich?"),
    ("chitchat", "Do you have any hobbies, or is that a weird question for an assistant?"),
    ("chitchat", "My job application for the volunteer shelter got accepted!"),
    ("health", "What do doctors mean by 'the body reacts' to stress?"),
)
# Semantic traps: same topic and shape as a real fact, but about someone else. Fields as SLOTS.
SEMANTIC_TRAPS = (
    ("work", "My neighbour just started as {a_title} at {employer}."),
    ("work", "My best friend is {a_title}, she loves it."),
    ("home", "My friend {name} lives in {city} and says rent is crazy."),
    ("home", "My parents retired to {city} last year."),
    ("pets", "My coworker's {species} {pname} is my screensaver now."),
    ("pets", "My aunt has a {species} called {pname}, total diva."),
    ("food", "My roommate went {diet} last month."),
    ("devices", "My dad got {a_phone} for his birthday."),
    ("mobile", "My mum is on {carrier}'s {plan} plan and complains constantly."),
    ("transport", "My colleague drives {car}."),
    ("health", "My friend {name} is allergic to {allergy}."),
    ("learning", "{name} from work is learning {language}."),
    ("hobbies", "{name} keeps trying to get me into {hobby}."),
)

# --- generic chit-chat: (user line, assistant line, topic tag) -------------------------------
CHITCHAT = (
    ("Can you recommend a podcast for a long train ride?", "Try a narrative history series; episodes are about an hour, perfect for trains.", "media"),
    ("What's a good stretch for a stiff neck?", "Slow chin tucks and ear-to-shoulder stretches, 30 seconds each side.", "health"),
    ("How long should I boil an egg for a runny yolk?", "About six minutes from boiling, then straight into cold water.", "food"),
    ("Give me a fun fact about octopuses.", "Octopuses have three hearts and blue blood.", "trivia"),
    ("How do I get red wine out of a carpet?", "Blot, don't rub; then a mix of dish soap, vinegar and warm water.", "home"),
    ("What's the difference between weather and climate?", "Weather is day to day; climate is the long-term average over decades.", "trivia"),
    ("Suggest a name for a book club.", "How about 'Between the Lines' or 'The Dog-Eared Society'?", "media"),
    ("How many minutes should a power nap be?", "Around 10 to 20 minutes, so you don't wake up groggy.", "health"),
    ("Can you explain compound interest simply?", "You earn interest on your interest, so growth speeds up over time.", "money"),
    ("Tell me a joke.", "Why did the scarecrow win an award? He was outstanding in his field.", "fun"),
    ("What's a good board game for two people?", "Patchwork and Jaipur are both great two-player games.", "fun"),
    ("How do I keep basil alive on a windowsill?", "Lots of light, water when the top of the soil is dry, and pinch off the flowers.", "home"),
    ("What should I pack for a rainy city break?", "A packable rain jacket, waterproof shoes and a small umbrella.", "travel"),
    ("How do I write a polite reminder email?", "Keep it short, restate the request and give a clear date.", "writing"),
    ("Is it better to stretch before or after running?", "Dynamic warm-up before, static stretches after.", "health"),
    ("What's the capital of Australia?", "Canberra.", "trivia"),
    ("Help me name my new playlist for cooking.", "'Simmer Down' has a nice ring to it.", "media"),
    ("How do I descale a kettle?", "Boil a mix of water and white vinegar, let it sit, then rinse well.", "home"),
    ("Any tips for falling asleep faster?", "Same bedtime every day, no screens for an hour, and a cool room.", "health"),
    ("What's a quick way to learn keyboard shortcuts?", "Pick three a week and force yourself to use them.", "productivity"),
    ("Can you summarise the plot of Hamlet in two lines?", "A prince seeks revenge for his father's murder; almost everyone dies.", "media"),
    ("How do I fold a fitted sheet?", "Tuck the corners into each other, then fold into a rectangle.", "home"),
    ("What's a good gift for someone who has everything?", "An experience: a cooking class or concert tickets.", "shopping"),
    ("Why is the sky blue?", "Air scatters blue light more than red light.", "trivia"),
    ("How do I stop procrastinating?", "Make the first step tiny and start a 10-minute timer.", "productivity"),
    ("What's the best way to store fresh herbs?", "Like flowers: stems in a glass of water in the fridge.", "food"),
    ("Thanks, that was helpful!", "Happy to help!", "chitchat"),
    ("Good morning!", "Good morning! What can I do for you today?", "chitchat"),
    ("How do I convert Celsius to Fahrenheit?", "Multiply by 9/5 and add 32.", "trivia"),
    ("Recommend a film for a cosy night in.", "Paddington 2 never fails.", "media"),
    ("What's the rule for 'affect' versus 'effect'?", "Affect is usually the verb, effect the noun.", "writing"),
    ("How long does it take to walk 5 km?", "About an hour at a relaxed pace.", "trivia"),
    ("Can you suggest a warm-up for a video call presentation?", "Hum for a minute and say your first sentence out loud twice.", "productivity"),
    ("What's an easy houseplant for a dark room?", "A snake plant or a ZZ plant.", "home"),
    ("Is it going to be a long winter, do you think?", "I can't predict that, but a good coat is never a bad idea.", "chitchat"),
    ("How do I make cold brew coffee?", "Coarse grounds in cold water, 12 to 18 hours in the fridge, then strain.", "food"),
    ("What's a good way to remember names?", "Repeat the name back right away and link it to an image.", "productivity"),
    ("Any ideas for a rainy Sunday?", "A museum, a long brunch, or a film marathon.", "fun"),
    ("How often should I clean my laptop keyboard?", "Every few weeks with a soft brush and a slightly damp cloth.", "home"),
    ("Who painted The Starry Night?", "Vincent van Gogh, in 1889.", "trivia"),
)

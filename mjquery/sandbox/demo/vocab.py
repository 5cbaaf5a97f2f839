"""Word lists the demo account is made of: people, places, domains, subjects, links, user agents.

Every address and domain is invented or reserved for examples (``example.com``, ``.example``,
``.test``), so the demo never names a real company's mailbox. The business is a small online
coffee roaster, Kestrel Coffee Roasters, that sends a newsletter, promotions and order emails.
"""

from __future__ import annotations

COMPANY = "Kestrel Coffee Roasters"
COMPANY_DOMAIN = "kestrelcoffee.example"
SITE = "https://www.kestrelcoffee.example"

FIRST_NAMES = (
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Lucas",
    "Mia",
    "Leo",
    "Chloe",
    "Hugo",
    "Lea",
    "Louis",
    "Sofia",
    "Mateo",
    "Amelia",
    "Elias",
    "Nora",
    "Oscar",
    "Alice",
    "Arthur",
    "Zoe",
    "Jules",
    "Ines",
    "Gabriel",
    "Clara",
    "Adam",
    "Lina",
    "Paul",
    "Julia",
    "Felix",
    "Hannah",
    "Max",
    "Anna",
    "Ben",
    "Maya",
    "Samuel",
    "Elena",
    "David",
    "Sara",
    "Daniel",
    "Laura",
    "Thomas",
    "Marta",
    "Pablo",
    "Lucia",
    "Marco",
    "Giulia",
    "Luca",
    "Freya",
    "Erik",
    "Ingrid",
    "Jan",
    "Eva",
    "Tom",
    "Ruth",
    "Ada",
    "Grace",
    "Henry",
    "Isla",
    "Jack",
    "Kai",
    "Leila",
    "Omar",
    "Priya",
    "Ravi",
    "Yuki",
    "Hana",
    "Chen",
    "Mei",
    "Aisha",
    "Kofi",
    "Amara",
    "Diego",
    "Camila",
    "Rosa",
    "Ivan",
    "Olga",
)

LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Garcia",
    "Rodriguez",
    "Lopez",
    "Fernandez",
    "Rossi",
    "Russo",
    "Ferrari",
    "Bianchi",
    "Muller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Taylor",
    "Clark",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
    "Turner",
    "Torres",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
    "Morgan",
    "Peterson",
    "Cooper",
    "Reed",
    "Bailey",
    "Bell",
    "Kelly",
    "Howard",
    "Ward",
    "Cox",
    "Diaz",
    "Richardson",
    "Wood",
    "Watson",
    "Brooks",
    "Bennett",
    "Gray",
    "James",
    "Hughes",
    "Price",
    "Sanders",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jensen",
    "Hansen",
    "Nielsen",
    "Larsen",
    "Andersen",
    "Novak",
    "Kowalski",
    "Nowak",
    "Silva",
    "Santos",
    "Costa",
    "Oliveira",
    "Tanaka",
    "Sato",
    "Kim",
    "Park",
    "Nguyen",
    "Tran",
    "Okafor",
)

# (country code, weight, cities): a European/North American customer base.
COUNTRIES = (
    ("FR", 28, ("Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Bordeaux", "Lille")),
    ("US", 18, ("New York", "Chicago", "Seattle", "Austin", "Boston", "Denver", "Portland")),
    ("GB", 12, ("London", "Manchester", "Bristol", "Leeds", "Edinburgh")),
    ("DE", 12, ("Berlin", "Hamburg", "Munich", "Cologne", "Leipzig")),
    ("ES", 7, ("Madrid", "Barcelona", "Valencia", "Seville")),
    ("IT", 6, ("Milan", "Rome", "Turin", "Bologna")),
    ("BE", 5, ("Brussels", "Antwerp", "Ghent")),
    ("NL", 5, ("Amsterdam", "Rotterdam", "Utrecht")),
    ("CA", 4, ("Toronto", "Montreal", "Vancouver")),
    ("CH", 3, ("Zurich", "Geneva", "Lausanne")),
)

# (domain, weight, mailbox provider name shown by statistics/recipient-esp). The last three are
# where the bad addresses live: an ISP that closed (hard bounces), a tiny host whose mailboxes
# are often full (soft bounces) and a typo domain.
RECIPIENT_DOMAINS = (
    ("example.com", 22, "others"),
    ("example.org", 10, "others"),
    ("example.net", 8, "others"),
    ("inboxly.test", 18, "Inboxly"),
    ("postbox.example", 14, "Postbox"),
    ("swiftmail.test", 10, "Swiftmail"),
    ("letterbox.example", 6, "Letterbox"),
    ("northmail.test", 5, "Northmail"),
    ("oldisp.test", 2, "others"),
    ("tinyhost.example", 2, "others"),
    ("exmaple.test", 1, "others"),
)
HARD_BOUNCE_DOMAINS = frozenset({"oldisp.test", "exmaple.test"})
SOFT_BOUNCE_DOMAINS = frozenset({"tinyhost.example"})

BUSINESS_DOMAINS = (
    "cafe-aurora.test",
    "beanhouse.example",
    "the-daily-grind.test",
    "roastworks.example",
)

PLANS = (("free", 45), ("starter", 30), ("pro", 18), ("enterprise", 7))
SOURCES = ("website", "checkout", "workshop", "trade show", "referral", "import")

NEWSLETTER_SUBJECTS = (
    "This month at Kestrel: the autumn roasts are here",
    "Your brewing guide for cold mornings",
    "Meet the farmers behind our Ethiopian Guji",
    "Five ways to get more from your grinder",
    "New: the decaf you will not believe is decaf",
    "Behind the roaster: how we profile a new bean",
    "Coffee and chocolate pairings for the weekend",
    "The Kestrel journal: water, ratio and time",
    "Harvest notes: what is coming to the shop",
    "Our sustainability report, in plain words",
    "Latte art for beginners (and a giveaway)",
    "Why fresh beans matter: a short explainer",
)
PROMO_SUBJECTS = (
    "Last chance: holiday gift sets are almost gone",
    "Early access: our autumn sale starts today",
    "Your subscription, now with a free tasting box",
    "Summer sale: cold brew kits at 25% off",
    "48 hours only: 20% off all single origins",
    "A thank-you discount for our members",
)
WORKSHOP_SUBJECTS = (
    "Join our home-barista workshop in Lyon",
    "Workshop recap, recipes and slides inside",
    "Cupping session: reserve your seat",
)
PARTNER_SUBJECTS = (
    "Wholesale price list for the new season",
    "Partner update: new green coffee arrivals",
)

TRANSACTIONAL = (
    # (custom campaign tag, subject, template name, share of the transactional traffic)
    ("order-confirmation", "Your Kestrel order is confirmed", "Order confirmation", 50),
    ("shipping-update", "Your coffee is on its way", "Shipping update", 38),
    ("password-reset", "Reset your Kestrel password", "Password reset", 12),
)

LINK_PATHS = (
    "/shop/single-origins",
    "/shop/blends",
    "/shop/decaf",
    "/shop/gift-sets",
    "/subscriptions",
    "/journal/brewing-guide",
    "/journal/farmers",
    "/journal/grinders",
    "/journal/sustainability",
    "/workshops",
    "/wholesale",
    "/account/orders",
    "/account/preferences",
    "/shop/equipment",
)

# (user agent string, platform): what opens and clicks come from.
USER_AGENTS = (
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "iOS",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "Mac OS X",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        "Windows",
    ),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0", "Windows"),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
        "Android",
    ),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Linux"),
    (
        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
        "Windows",
    ),
)
USER_AGENT_NAMES = (
    "Mobile Safari 17",
    "Safari 17",
    "Chrome 126",
    "Firefox 127",
    "Chrome Mobile 126",
    "Firefox 127",
    "Image proxy",
)
USER_AGENT_BASE_ID = 1675

# The reference table of message states (messagestate): (related to, state). IDs are 1-based.
MESSAGE_STATES = (
    ("recipient", "user unknown"),
    ("recipient", "mailbox inactive"),
    ("recipient", "quota exceeded"),
    ("recipient", "blacklisted"),
    ("recipient", "spam reporter"),
    ("domain", "invalid domain"),
    ("domain", "no mail host"),
    ("domain", "relay/access denied"),
    ("domain", "greylisted"),
    ("domain", "typofix"),
    ("content", "bad or empty template"),
    ("content", "error in template language"),
    ("spam", "sender blocked"),
    ("spam", "content blocked"),
    ("spam", "policy issue"),
    ("system", "system issue"),
    ("system", "protocol issue"),
    ("system", "connection issue"),
    ("mailjet", "preblocked"),
    ("mailjet", "duplicate in campaign"),
    ("mailjet", "spam reporter"),
)
STATE_USER_UNKNOWN = 1
STATE_QUOTA_EXCEEDED = 3
STATE_INVALID_DOMAIN = 6
STATE_NO_MAIL_HOST = 7
STATE_CONNECTION_ISSUE = 18
STATE_PREBLOCKED = 19

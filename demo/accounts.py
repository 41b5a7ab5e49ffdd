"""Demo data of accounts: Northwind Training (the full demo) and Contoso Learning (isolation)."""

import random

from accounts import services
from accounts.models import Account, AccountKind, Contact, Region

FIRST_NAMES = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Leo",
    "Sophie",
    "Harry",
    "Lena",
    "Jonas",
    "Emma",
    "Lukas",
    "Chloe",
    "Finn",
    "Grace",
    "Elias",
    "Freya",
    "Jakob",
    "Nora",
    "Oscar",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "Müller",
    "Schmidt",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Hughes",
    "Fischer",
    "Weber",
    "Clarke",
    "Green",
    "Hall",
    "Jansen",
    "de Vries",
    "Lindqvist",
    "Novak",
]
JOB_TITLES = [
    "Learning & Development Manager",
    "HR Business Partner",
    "Procurement Officer",
    "Head of Training",
    "Finance Controller",
    "Team Lead",
    "Training Coordinator",
]

STREETS = ["Station Road", "Park Lane", "Mill Street", "Kingsway"]

NORTHWIND_REGIONS = [
    ("London", "LON"),
    ("North of England", "NTH"),
    ("Midlands", "MID"),
    ("Scotland", "SCO"),
    ("Benelux", "BNL"),
    ("DACH", "DACH"),
]

# (name, region, city, country, currency, tags, children)
NORTHWIND_GROUPS = [
    (
        "Meridian Health Group",
        "London",
        "London",
        "GB",
        "GBP",
        "public-sector, healthcare",
        ["Meridian Hospital North", "Meridian Hospital South", "Meridian Community Clinics"],
    ),
    (
        "Hanseatic Logistics AG",
        "DACH",
        "Hamburg",
        "DE",
        "EUR",
        "logistics, key-account",
        ["Hanseatic Logistics UK Ltd", "Hanseatic Freight Benelux BV"],
    ),
    (
        "Caledonian Energy plc",
        "Scotland",
        "Aberdeen",
        "GB",
        "GBP",
        "energy",
        ["Caledonian Offshore Services"],
    ),
]
NORTHWIND_ACCOUNTS = [
    ("Albion Rail Services", "Midlands", "Birmingham", "GB", "GBP", "transport, framework"),
    ("Brightwater Utilities", "North of England", "Leeds", "GB", "GBP", "public-sector"),
    ("Crown Borough Council", "London", "London", "GB", "GBP", "public-sector, framework"),
    ("Delft Instruments BV", "Benelux", "Delft", "NL", "EUR", "engineering"),
    ("Elbe Pharma GmbH", "DACH", "Dresden", "DE", "EUR", "pharma, key-account"),
    ("Fenwick & Lowe Solicitors", "North of England", "Newcastle", "GB", "GBP", "legal"),
    ("Granite Insurance Ltd", "Scotland", "Edinburgh", "GB", "GBP", "finance"),
    ("Harbourside University", "North of England", "Liverpool", "GB", "GBP", "education"),
    ("Ironbridge Manufacturing", "Midlands", "Telford", "GB", "GBP", "manufacturing"),
    ("Juniper Retail Group", "London", "London", "GB", "GBP", "retail"),
    ("Kestrel Aerospace", "Midlands", "Derby", "GB", "GBP", "engineering, key-account"),
    ("Lowlands Water Authority", "Benelux", "Utrecht", "NL", "EUR", "public-sector"),
    ("Mosel Software AG", "DACH", "Trier", "DE", "EUR", "technology"),
    ("Northgate Housing Trust", "North of England", "Manchester", "GB", "GBP", "charity"),
]
NORTHWIND_INDIVIDUALS = [
    ("Priya Raman", "London", "London", "GB"),
    ("Tom Becker", "DACH", "Munich", "DE"),
    ("Hannah O'Connor", "North of England", "York", "GB"),
    ("Sven Lindqvist", "Benelux", "Antwerp", "BE"),
]

CONTOSO_ACCOUNTS = [
    ("Vantage Hotels", "Paris", "FR"),
    ("Orbital Telecom", "Lyon", "FR"),
    ("Riviera Transport", "Nice", "FR"),
]


def _contacts(tenant, user, account, rng, count):
    domain = account.name.split()[0].lower().replace("&", "") + ".example"
    for _ in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        contact = Contact(
            account=account,
            first_name=first,
            last_name=last,
            email=f"{first}.{last}@{domain}".lower().replace(" ", "").replace("ü", "ue"),
            phone=f"+44 20 7{rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            job_title=rng.choice(JOB_TITLES),
        )
        services.contact_save(tenant=tenant, by=user, contact=contact)


def _account(tenant, user, **fields):
    account = Account(**fields)
    return services.account_save(tenant=tenant, by=user, account=account)


def build(tenant, *, user, rng: random.Random) -> None:
    if tenant.slug == "northwind":
        _build_northwind(tenant, user, rng)
    else:
        _build_small(tenant, user, rng)


def _build_northwind(tenant, user, rng):
    regions = {}
    for name, code in NORTHWIND_REGIONS:
        regions[name] = services.region_save(
            tenant=tenant, by=user, region=Region(name=name, code=code)
        )
    for name, region, city, country, currency, tags, children in NORTHWIND_GROUPS:
        parent = _account(
            tenant,
            user,
            name=name,
            region=regions[region],
            city=city,
            country=country,
            sales_currency=currency,
            tags=tags,
            address=f"{rng.randint(1, 200)} High Street",
            postal_code=f"{rng.randint(10000, 99999)}",
            tax_id=f"{country}{rng.randint(10**8, 10**9)}",
            email=f"accounts@{name.split()[0].lower()}.example",
            phone="+44 20 7946 0000",
        )
        _contacts(tenant, user, parent, rng, 3)
        for child_name in children:
            child = _account(
                tenant,
                user,
                name=child_name,
                region=regions[region],
                city=city,
                country=country,
                sales_currency=currency,
                parent=parent,
                billing_account=parent,
                tags=tags,
            )
            _contacts(tenant, user, child, rng, 2)
    for name, region, city, country, currency, tags in NORTHWIND_ACCOUNTS:
        account = _account(
            tenant,
            user,
            name=name,
            region=regions[region],
            city=city,
            country=country,
            sales_currency=currency if rng.random() < 0.5 else "",
            tags=tags,
            address=f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            postal_code=f"{rng.randint(10000, 99999)}",
            tax_id=f"{country}{rng.randint(10**8, 10**9)}",
            email=f"training@{name.split()[0].lower()}.example",
        )
        _contacts(tenant, user, account, rng, rng.randint(1, 4))
    for name, region, city, country in NORTHWIND_INDIVIDUALS:
        first, last = name.split(" ", 1)
        account = _account(
            tenant,
            user,
            name=name,
            kind=AccountKind.INDIVIDUAL,
            region=regions[region],
            city=city,
            country=country,
            email=f"{first}.{last}@mail.example".lower().replace("'", ""),
        )
        services.contact_save(
            tenant=tenant,
            by=user,
            contact=Contact(account=account, first_name=first, last_name=last, email=account.email),
        )
    dormant = _account(
        tenant,
        user,
        name="Westbury Printing (closed)",
        region=regions["Midlands"],
        city="Coventry",
        country="GB",
        is_active=False,
        notes="Ceased trading 2025.",
    )
    _contacts(tenant, user, dormant, rng, 1)


def _build_small(tenant, user, rng):
    region = services.region_save(tenant=tenant, by=user, region=Region(name="France", code="FR"))
    for name, city, country in CONTOSO_ACCOUNTS:
        account = _account(
            tenant, user, name=name, region=region, city=city, country=country, sales_currency="EUR"
        )
        _contacts(tenant, user, account, rng, 2)

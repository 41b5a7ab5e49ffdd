"""Demo data of accounts: Northwind Training (the full demo) and Contoso Learning (isolation).

Every organisation has a postal address as its country writes it, a VAT id valid for its
country (`demo.legal`), and an address for invoices; public buyers have a Peppol id. Hanseatic
Logistics AG is the reverse-charge customer: a German company with a German VAT id that buys in
EUR and wants the UBL e-invoice with its PDFs. The German organisations have German as their
language: their invoices, e-mails and reminders are written in German (issue 17). The companies
get their bank accounts here, before any invoice is issued, so every issued invoice carries them.
"""

import random

from accounts import services
from accounts.models import Account, AccountKind, BankAccount, Contact, EInvoiceFormat, Region
from demo import legal

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

# The reverse-charge customer (issue 15): EU company, EUR, e-invoices as UBL.
REVERSE_CHARGE_CUSTOMER = "Hanseatic Logistics AG"
# Public buyers who receive e-invoices over Peppol (and want the UBL file by e-mail too).
PEPPOL_BUYERS = {
    "Meridian Health Group",
    "Crown Borough Council",
    "Brightwater Utilities",
    "Lowlands Water Authority",
    REVERSE_CHARGE_CUSTOMER,
}
UBL_BUYERS = {"Crown Borough Council", REVERSE_CHARGE_CUSTOMER}

# (label, bank, currency, IBAN, BIC, account number, sort code, default): the IBANs are valid
# (schwifty) and made up; the GBP account's IBAN is built from its sort code and number.
BANK_ACCOUNTS = {
    "northwind": [
        (
            "NatWest GBP",
            "NatWest",
            "GBP",
            "GB66NWBK60161348203917",
            "NWBKGB2L",
            "48203917",
            "60-16-13",
            True,
        ),
        (
            "Commerzbank EUR",
            "Commerzbank",
            "EUR",
            "DE89370400440532013000",
            "COBADEFFXXX",
            "",
            "",
            False,
        ),
    ],
    "contoso": [
        (
            "BNP Paribas EUR",
            "BNP Paribas",
            "EUR",
            "FR7630004000030001023456709",
            "BNPAFRPP",
            "",
            "",
            True,
        ),
    ],
}

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
    ("Fenwick & Lowe Solicitors", "North of England", "Newcastle upon Tyne", "GB", "GBP", "legal"),
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


def _domain(name: str) -> str:
    return name.split()[0].lower().replace("&", "") + ".example"


def _legal(name, city, country):
    """Address, VAT id and invoice e-mail of an organisation; a Peppol id for public buyers."""
    vat = legal.vat_id(country, name)
    fields = {
        **legal.address(city),
        "tax_id": vat,
        "invoice_email": f"invoices@{_domain(name)}",
    }
    if country != fields["country"]:
        raise ValueError(f"{name}: {city} is not in {country}")  # pragma: no cover
    if name in PEPPOL_BUYERS:
        fields["peppol_id"] = legal.peppol_id(country, vat, name)
    if name in UBL_BUYERS:
        fields["einvoice_format"] = EInvoiceFormat.UBL
    if country == "DE":
        # Issue 17: German customers get their invoices, e-mails and reminders in German.
        fields["language"] = "de"
    return fields


def _bank_accounts(tenant, user):
    for label, bank, currency, iban, bic, number, sort_code, default in BANK_ACCOUNTS.get(
        tenant.slug, []
    ):
        bank_account = BankAccount(
            label=label,
            bank_name=bank,
            account_holder=tenant.name,
            currency=currency,
            iban=iban,
            bic=bic,
            account_number=number,
            sort_code=sort_code,
            is_default=default,
        )
        services.bank_account_save(tenant=tenant, by=user, bank_account=bank_account)


def build(tenant, *, user, rng: random.Random) -> None:
    _bank_accounts(tenant, user)
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
            sales_currency=currency,
            tags=tags,
            email=f"accounts@{_domain(name)}",
            phone="+44 20 7946 0000",
            **_legal(name, city, country),
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
            sales_currency=currency if rng.random() < 0.5 else "",
            tags=tags,
            email=f"training@{_domain(name)}",
            **_legal(name, city, country),
        )
        _contacts(tenant, user, account, rng, rng.randint(1, 4))
    for name, region, city, _country in NORTHWIND_INDIVIDUALS:
        first, last = name.split(" ", 1)
        account = _account(
            tenant,
            user,
            name=name,
            kind=AccountKind.INDIVIDUAL,
            region=regions[region],
            **legal.address(city),
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
        **_legal("Westbury Printing (closed)", "Coventry", "GB"),
        is_active=False,
        notes="Ceased trading 2025.",
    )
    _contacts(tenant, user, dormant, rng, 1)


def _build_small(tenant, user, rng):
    region = services.region_save(tenant=tenant, by=user, region=Region(name="France", code="FR"))
    for name, city, country in CONTOSO_ACCOUNTS:
        account = _account(
            tenant,
            user,
            name=name,
            region=region,
            sales_currency="EUR",
            email=f"comptabilite@{_domain(name)}",
            **_legal(name, city, country),
        )
        _contacts(tenant, user, account, rng, 2)

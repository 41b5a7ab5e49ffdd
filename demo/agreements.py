"""Demo data of agreements: tax rates (standard, reduced, and two exempt ones with their
exemption reason), a catalogue in packages with an exempt apprenticeship course, price lists,
bookings with agreed prices and a signed contract, a discount agreement of each scope, and
prepurchase agreements."""

import datetime
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Account, AccountKind
from accounts.platform.tax import VatCategory
from agreements import services
from agreements.models import (
    Booking,
    BookingStatus,
    BookingUplift,
    ChargeValidity,
    DiscountAgreement,
    DiscountScope,
    Interest,
    PlaceCounting,
    PrepurchaseAgreement,
    PrepurchaseUnit,
    PriceList,
    PriceListEntry,
    Product,
    ProductKind,
    TaxRate,
    TrainingPackage,
)

PACKAGES = {
    "Leadership programme": [
        ("LEAD-101", "First-time manager", 1450),
        ("LEAD-201", "Leading change", 1650),
        ("LEAD-301", "Coaching conversations", 1250),
        ("LEAD-401", "Strategic leadership", 2450),
    ],
    "Project management": [
        ("PM-100", "Project management essentials", 1200),
        ("PM-210", "PRINCE2 Foundation", 1350),
        ("PM-220", "PRINCE2 Practitioner", 1550),
        ("PM-300", "Agile project management", 1400),
        ("PM-310", "Scrum Master", 1100),
    ],
    "Data and digital": [
        ("DATA-101", "Excel for analysts", 650),
        ("DATA-150", "Power BI fundamentals", 950),
        ("DATA-200", "Python for data analysis", 1500),
        ("DATA-210", "SQL essentials", 900),
        ("DATA-300", "Machine learning primer", 1800),
        ("DIG-100", "Cyber security awareness", 350),
    ],
    "Health and safety": [
        ("HS-100", "First aid at work", 450),
        ("HS-110", "Fire warden", 300),
        ("HS-200", "IOSH Managing safely", 850),
        ("HS-210", "Mental health first aid", 550),
    ],
}
LOOSE_COURSES = [
    ("COMM-100", "Presentation skills", 750),
    ("COMM-110", "Writing for business", 600),
    ("COMM-200", "Negotiation", 1150),
    ("HR-100", "Recruitment interviewing", 700),
]
ITEMS = [
    ("MAT-BOOK", "Course workbook", ProductKind.ITEM, 45),
    ("MAT-KIT", "Delegate kit", ProductKind.ITEM, 25),
    ("EXAM-P2F", "PRINCE2 Foundation exam", ProductKind.FEE, 280),
    ("EXAM-P2P", "PRINCE2 Practitioner exam", ProductKind.FEE, 390),
    ("EXAM-IOSH", "IOSH exam and certificate", ProductKind.FEE, 95),
    ("TRAVEL", "Trainer travel and accommodation", ProductKind.FEE, 0),
    ("ROOM-DAY", "Training room hire (per day)", ProductKind.ITEM, 320),
]
LEARNING_PATHS = [("LP-MGR", "Manager learning path", 4200)]
EXEMPT_COURSE = ("APP-300", "Team leader apprenticeship (funded)", 1200)
EXEMPTION_LAW = {
    "GB": {
        "training": "VAT Act 1994, Schedule 9, Group 6",
        "exams": "VAT Act 1994, Schedule 9, Group 6, item 3",
    },
    "EU": {
        "training": "Article 132(1)(i) of Directive 2006/112/EC",
        "exams": "Article 132(1)(i) of Directive 2006/112/EC",
    },
}

# A small PDF made by hand: a real, parseable document, so the upload checks accept it.
CONTRACT_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 88>>stream\nBT /F1 18 Tf 72 760 Td (Framework agreement - signed copy) Tj "
    b"0 -30 Td (Northwind Training) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def build(tenant, *, user, rng: random.Random) -> None:
    currency = tenant.base_currency
    standard = services.taxrate_save(
        tenant=tenant,
        by=user,
        tax_rate=TaxRate(code="STD", name="Standard rate", percent=Decimal("20")),
    )
    services.taxrate_save(
        tenant=tenant,
        by=user,
        tax_rate=TaxRate(code="RED", name="Reduced rate", percent=Decimal("5")),
    )
    # Exempt rates name their exemption (EN 16931: a VATEX code and the text the invoice
    # prints), in the words of the company's own law.
    law = EXEMPTION_LAW.get(tenant.country, EXEMPTION_LAW["EU"])
    exempt = services.taxrate_save(
        tenant=tenant,
        by=user,
        tax_rate=TaxRate(
            code="EXM",
            name="Exempt (exam fees)",
            percent=Decimal("0"),
            category=VatCategory.EXEMPT,
            exemption_reason_code="VATEX-EU-132-1I",
            exemption_reason=f"Exempt: examination services ({law['exams']})",
        ),
    )
    training_exempt = services.taxrate_save(
        tenant=tenant,
        by=user,
        tax_rate=TaxRate(
            code="EXE",
            name="Exempt (vocational training)",
            percent=Decimal("0"),
            category=VatCategory.EXEMPT,
            exemption_reason_code="VATEX-EU-132-1I",
            exemption_reason=f"Exempt: vocational training ({law['training']})",
        ),
    )

    def product(code, name, price, kind=ProductKind.COURSE, package=None, tax=standard):
        # Workbooks and kits are shipped goods; room hire, though an item, is a service.
        is_goods = kind == ProductKind.ITEM and code.startswith("MAT-")
        return services.product_save(
            tenant=tenant,
            by=user,
            product=Product(
                code=code,
                name=name,
                kind=kind,
                package=package,
                default_price=Decimal(price),
                currency=currency,
                unit_cost=(Decimal(price) * Decimal("0.35")).quantize(Decimal(1)),
                tax_rate=tax,
                is_goods=is_goods,
                training_units_price=Decimal(max(1, price // 250)),
            ),
        )

    courses = []
    packages = {}
    for package_name, rows in PACKAGES.items():
        package = services.package_save(
            tenant=tenant, by=user, package=TrainingPackage(name=package_name)
        )
        packages[package_name] = package
        courses += [product(code, name, price, package=package) for code, name, price in rows]
    courses += [product(code, name, price) for code, name, price in LOOSE_COURSES]
    items = [
        product(code, name, price, kind=kind, tax=exempt if kind == ProductKind.FEE else standard)
        for code, name, kind, price in ITEMS
    ]
    for code, name, price in LEARNING_PATHS:
        product(code, name, price, kind=ProductKind.LEARNING_PATH)
    # The exempt course: vocational training funded as an apprenticeship (demo.projects).
    code, name, price = EXEMPT_COURSE
    product(code, name, price, tax=training_exempt)

    if tenant.slug != "northwind":
        price_list = _price_list(tenant, user, "Standard prices 2026", currency, courses, 1)
        account = Account.objects.filter(kind=AccountKind.ORGANISATION).order_by("number").first()
        _booking(tenant, user, account, "Framework agreement 2026", price_list, courses[:4], rng)
        return

    public_sector = _price_list(
        tenant,
        user,
        "Public sector framework 2025–2028",
        currency,
        courses + items,
        Decimal("0.90"),
    )
    corporate = _price_list(
        tenant, user, "Corporate prices 2026", currency, courses + items, Decimal("1.00")
    )
    euro = _price_list(
        tenant, user, "European customers 2026 (EUR)", "EUR", courses, Decimal("1.15")
    )

    by_name = {a.name: a for a in Account.objects.filter(kind=AccountKind.ORGANISATION)}
    meridian = by_name["Meridian Health Group"]
    bookings = [
        _booking(
            tenant,
            user,
            meridian,
            "Clinical leadership framework 2025–2028",
            public_sector,
            courses[:9],
            rng,
            start=datetime.date(2025, 1, 1),  # the longest history: reports start in 2025-01
        ),
        _booking(
            tenant,
            user,
            by_name["Crown Borough Council"],
            "Council skills framework",
            public_sector,
            courses[9:16],
            rng,
        ),
        _booking(
            tenant,
            user,
            by_name["Kestrel Aerospace"],
            "Engineering academy agreement",
            corporate,
            courses[4:12] + items[2:4],
            rng,
        ),
        _booking(
            tenant,
            user,
            by_name["Hanseatic Logistics AG"],
            "Group training agreement",
            euro,
            courses[10:16],
            rng,
            currency="EUR",
        ),
        _booking(
            tenant,
            user,
            by_name["Albion Rail Services"],
            "Safety training 2026",
            corporate,
            courses[15:19],
            rng,
            status=BookingStatus.DRAFT,
        ),
    ]
    _uplifts(tenant, user, bookings[0])
    for booking in bookings[:4]:
        services.document_upload(
            tenant=tenant,
            by=user,
            booking=booking,
            description="Signed framework agreement",
            upload=SimpleUploadedFile(
                f"Signed contract {booking.account.name}.pdf",
                CONTRACT_PDF,
                content_type="application/pdf",
            ),
        )

    start = datetime.date(2025, 1, 1)
    discounts = [
        DiscountAgreement(
            name="Leadership package −10%",
            percent=Decimal("10"),
            scope=DiscountScope.PACKAGE,
            package=packages["Leadership programme"],
            valid_from=start,
            max_places=20,
            place_counting=PlaceCounting.ACROSS_EVENTS,
        ),
        DiscountAgreement(
            name="Public sector list −5%",
            percent=Decimal("5"),
            scope=DiscountScope.PRICE_LIST,
            price_list=public_sector,
            valid_from=start,
        ),
        DiscountAgreement(
            name="Meridian Python promotion",
            percent=Decimal("15"),
            scope=DiscountScope.COURSE,
            product=Product.objects.get(code="DATA-200"),
            account=meridian,
            valid_from=start,
            valid_to=datetime.date(2026, 12, 31),
            max_places=12,
        ),
        DiscountAgreement(
            name="Early-bird event discount",
            percent=Decimal("12.5"),
            scope=DiscountScope.EVENT,
            valid_from=start,
            max_places=4,
            place_counting=PlaceCounting.PER_EVENT,
        ),
    ]
    for discount in discounts:
        services.discount_save(tenant=tenant, by=user, discount=discount)

    money = services.prepurchase_save(
        tenant=tenant,
        by=user,
        agreement=PrepurchaseAgreement(
            account=by_name["Harbourside University"],
            price_list=public_sector,
            name="Staff development fund 2026",
            unit=PrepurchaseUnit.MONEY,
            # Places paid from the fund are priced from its list less this (projects/demo.py).
            discount_percent=Decimal("8"),
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 12, 31),
            overdraft_limit=Decimal("2000"),
        ),
    )
    units = services.prepurchase_save(
        tenant=tenant,
        by=user,
        agreement=PrepurchaseAgreement(
            account=by_name["Elbe Pharma GmbH"],
            price_list=euro,  # Elbe buys in EUR: a prepurchase pays in its list's currency only
            name="Training units 2025–2027",
            unit=PrepurchaseUnit.TRAINING_UNITS,
            start_date=datetime.date(2025, 4, 1),
            end_date=datetime.date(2027, 3, 31),
            # Units expire 12 months after purchase (issue 14.5): the first purchase expired on
            # 2 Apr 2026 partly used, so the page shows an expired balance to write off.
            charge_validity=ChargeValidity.MONTHS,
            validity_months=12,
        ),
    )
    history = [
        (money, "charge", "25000", "Initial purchase, PO 4500123", datetime.date(2026, 1, 15)),
        (money, "use", "1450", "LEAD-101 for two delegates", datetime.date(2026, 2, 10)),
        (money, "use", "3300", "PM-210 cohort", datetime.date(2026, 3, 22)),
        (money, "charge", "10000", "Top-up, PO 4500456", datetime.date(2026, 6, 1)),
        (money, "use", "4800", "DATA-200 cohort", datetime.date(2026, 9, 14)),
        (units, "charge", "120", "120 units purchased", datetime.date(2025, 4, 2)),
        (units, "use", "18", "Leadership cohort", datetime.date(2025, 6, 20)),
        (units, "use", "12", "Project management cohort", datetime.date(2025, 11, 3)),
        (units, "use", "20", "Communication skills cohort", datetime.date(2026, 2, 12)),
        (units, "charge", "80", "Renewal: 80 units, PO 7781", datetime.date(2026, 4, 20)),
        (units, "use", "15", "Data literacy cohort", datetime.date(2026, 6, 10)),
    ]
    entries = []
    for agreement, kind, amount, text, day in history:
        service = services.prepurchase_charge if kind == "charge" else services.prepurchase_use
        entries.append(
            service(
                tenant=tenant,
                by=user,
                agreement=agreement,
                amount=amount,
                description=text,
                on_date=day,
            )
        )
    services.prepurchase_reverse(
        tenant=tenant, by=user, entry=entries[2], reason="Cohort moved to a project invoice"
    )


def _price_list(tenant, user, name, currency, products, factor):
    price_list = services.pricelist_save(
        tenant=tenant,
        by=user,
        price_list=PriceList(name=name, currency=currency, valid_from=datetime.date(2025, 1, 1)),
    )
    for product in products:
        services.pricelist_entry_save(
            tenant=tenant,
            by=user,
            entry=PriceListEntry(
                price_list=price_list,
                product=product,
                unit_price=(product.default_price * Decimal(factor)).quantize(Decimal("1")),
                training_units_price=product.training_units_price,
            ),
        )
    return price_list


def _booking(
    tenant,
    user,
    account,
    name,
    price_list,
    products,
    rng,
    currency=None,
    status=BookingStatus.SIGNED,
    start=None,
):
    currency = currency or price_list.currency
    start = start or datetime.date(2025, rng.choice([1, 4, 7]), 1)
    booking = services.booking_save(
        tenant=tenant,
        by=user,
        booking=Booking(
            account=account,
            name=name,
            status=status,
            signed_date=start - datetime.timedelta(days=20)
            if status == BookingStatus.SIGNED
            else None,
            start_date=start,
            end_date=start.replace(year=start.year + 3) - datetime.timedelta(days=1),
            currency=currency,
            price_list=price_list,
            owner=user,
            estimated_value=Decimal(rng.randrange(80, 400) * 1000),
        ),
    )
    interests = []
    for product in products:
        listed = PriceListEntry.objects.get(price_list=price_list, product=product).unit_price
        interests.append(
            Interest(
                product=product,
                unit_price=(listed * Decimal("0.95")).quantize(Decimal("1")),
                committed_quantity=rng.choice([None, 10, 20, 40, 60]),
            )
        )
    services.booking_interests_update(tenant=tenant, by=user, booking=booking, changed=interests)
    return booking


def _uplifts(tenant, user, booking):
    """Issue 14: the Meridian framework's prices rise on each anniversary of its start (1 January):
    +3.5 % in year 2 (2026), and in year 3 (2027) 4 % capped by the CPI, entered by hand at
    2.8 %. Its year-2 registrations and items are priced with the uplift ("agreed price year 2,
    +3.5 %"); the year-1 project's keep the agreed prices."""
    services.booking_uplifts_update(
        tenant=tenant,
        by=user,
        booking=booking,
        changed=[
            BookingUplift(
                contract_year=2, percent=Decimal("3.5"), notes="Fixed uplift, clause 7.2"
            ),
            BookingUplift(
                contract_year=3,
                percent=Decimal("4"),
                index_percent=Decimal("2.8"),
                notes="4 %, capped by the CPI (12 months to October 2026)",
            ),
        ],
    )

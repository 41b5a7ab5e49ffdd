"""The agreements app's models, by seam: the catalogue (`catalogue`), the agreements made with
customers (`contracts`), prepurchase agreements and their ledger (`prepurchases`) and their
cancellation terms (`terms`). Everything is imported from here: `agreements.models`."""

from agreements.models.catalogue import (  # noqa: F401
    NOT_NEGATIVE,
    PERCENT,
    BillingMoment,
    PriceList,
    PriceListEntry,
    Product,
    ProductKind,
    TaxRate,
    TrainingPackage,
    money_field,
)
from agreements.models.contracts import (  # noqa: F401
    Booking,
    BookingDocument,
    BookingStatus,
    BookingUplift,
    DiscountAgreement,
    DiscountScope,
    Interest,
    PlaceCounting,
    PrepurchaseUnit,
)
from agreements.models.prepurchases import (  # noqa: F401
    ChargeValidity,
    LedgerKind,
    LedgerQuerySet,
    PrepurchaseAgreement,
    PrepurchaseAllocation,
    PrepurchaseEntry,
    PrepurchaseStatus,
    add_months,
)
from agreements.models.terms import CancellationBand, CancellationTerms  # noqa: F401

"""The agreements app's models, by seam: the catalogue (`catalogue`) and the agreements made
with customers (`contracts`). Everything is imported from here, as before: `agreements.models`."""

from agreements.models.catalogue import (  # noqa: F401
    NOT_NEGATIVE,
    PERCENT,
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
    LedgerKind,
    LedgerQuerySet,
    PlaceCounting,
    PrepurchaseAgreement,
    PrepurchaseEntry,
    PrepurchaseStatus,
    PrepurchaseUnit,
)

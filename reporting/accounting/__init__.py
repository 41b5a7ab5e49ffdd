"""Accounting exports (issue 16, part 5): a numbered export batch's documents and payments in the
files of an accounting system (Xero, QuickBooks Online, Sage, DATEV).

    models     the per-company mapping (`AccountCode`: product → revenue account, tax code → the
               system's tax code; `AccountingSettings`: DATEV's numbers, bank accounts), the
               payments a batch holds (`ExportedPayment`) and each file as first built
               (`BatchFile`: later downloads are its stored bytes)
    systems    the systems, their files and their default tax codes
    mapping    what a batch needs mapped, resolved or listed as missing (`Mapping`)
    formats    one exporter per file (the platform's exporter base)
    services   saving the mapping, building and storing a batch's file
    views      the mapping page and the downloads
"""

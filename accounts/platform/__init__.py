"""The platform every app builds on, apart from the customer-accounts domain (DESIGN.md, "Layout").

Apps import these modules and their public names only (no name starting with "_"); the
import-linter contracts in pyproject.toml keep it so (`make lint`). The platform imports nothing
of the apps, not even the customer-accounts domain of `accounts` it sits in.

Tenancy and access
    tenancy         TenantOwned, the scoped manager, activate(), current_tenant(), tenant_reverse()
    rls             PostgreSQL row-level security: the policies, the app's role, the setting
                    that activate() and scopes_disabled() write on the connection
    models          Tenant, Membership, Role, Sequence, AuditEntry (tables of the `accounts` app)
    memberships     who belongs to which company (the one deliberate cross-tenant read)
    middleware      resolves /<tenant-slug>/ and runs the view inside its scope;
                    PrivateCacheMiddleware: Cache-Control: private, no-store when signed in
    permissions     what each role may do (SEE_MONEY, INVOICE, EXPORT, ...)
    access          require() and can() for views
Services
    guards          require_active(), check_tenant(), normalise_tags(): what a service checks first
    sequences       next_number(s): gapless per-tenant numbers
    audit           audit(), audit_many(): the append-only audit trail
    money           round_money(), line_net() (refusing what no money column holds),
                    currencies and countries
    addresses       format_address(), address_lines(), country_name(): postal addresses as
                    each country writes them, with the country's English name
    tax             VatCategory, EU_COUNTRIES, validate_vat_id(), normalise_vat_id()
    bounds          the numbers a column holds, from its model field: bound_form_field(),
                    clean_number() for imported cells, parse_id() for ids in requests
    errors          FriendlyErrorMiddleware: database and decimal errors become a message that
                    says what to change; log_unexpected(), stopped_message()
    bulk            insert_rows(): COPY on PostgreSQL (ids drawn first if asked), bulk_create
                    elsewhere
    lookups         `__in` with a long list of ids as one array parameter on PostgreSQL
    collector       fewer_collections(): the garbage collector's passes spaced out for
                    work that allocates many short-lived objects (bulk runs, PDFs)
    built_once      @built_once_per_scope: a list's queryset built once per tenant scope and
                    arguments, a copy to each caller (the invoice and project lists)
    compiled_once   @compiled_once: a read's SQL compiled once per scope and shape, run with
                    each call's ids (the memberships of every page, the project, account and
                    invoice pages); first_or_404()
    tasks           tenant_task, enqueue_on_commit: background work on the django-tasks API
Files, imports and exports
    documents       StoredDocument and how files are stored, served and deleted
    uploads         size, extension and content checks of uploads
    importing       reading customers' CSV and XLSX files safely, bounded by the row limit
    import_tasks    import previews in storage, large imports as tasks, purge_import_previews
    exporting       every export's base: exporters declare columns and yield rows; one
                    writer for CSV and XLSX (formula text neutralised, bidi controls defused,
                    numbers and dates typed); CopyExporter (PostgreSQL COPY); list exports;
                    filter_refusal()
Pages
    views           TenantViewMixin, TenantListView, TenantFormView, TabbedDetailView,
                    DatasetImportView, save_with_service()
    forms           Form, ModelForm, TenantFormMixin (every number bounded to its column),
                    column_field(), add_service_error(), DATE, helper()
    confirm         ask() and confirmed(): the one confirmation step of irreversible actions
    constraints     a constraint's validation error on the field it is about (TenantOwned, Tenant)
    tables          PermittedLinkColumn: a list's link to a page only for roles that may open it
    registry        Registry and Hook: what higher apps add to lower apps' pages and rules
    tabs, dashboard the registries of detail-page tabs and dashboard panels
    admin, admin_site  the tenant-aware Django admin
    commands        TenantCommand, the base of `--tenant` management commands
    context_processors, checks
"""

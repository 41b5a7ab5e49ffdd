"""A project's documents: upload, download (through a view that checks the company), delete."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views import View

from accounts.platform import confirm, documents, permissions
from accounts.platform.forms import DocumentForm
from accounts.platform.views import (
    TenantViewMixin,
)
from projects import access, services
from projects.views.pages import ProjectDetailView, tab_url


class ProjectDocumentUploadView(TenantViewMixin, View):
    write_permission = permissions.EDIT_PROJECTS

    def post(self, request, pk):
        project = access.get_project_for_write(request, pk)
        form = DocumentForm(request.POST, request.FILES)
        stored = documents.upload_from_request(
            request,
            form,
            lambda upload, description: services.project_document_upload(
                tenant=request.tenant,
                by=request.user,
                project=project,
                upload=upload,
                description=description,
            ),
        )
        if stored is None:  # the tab again, with what to change and the description typed
            page = ProjectDetailView()
            page.setup(request, pk=pk)
            return page.render_page(project, "documents", {"document_form": form}, status=422)
        return redirect(tab_url(request, project, "documents"))


class ProjectDocumentDownloadView(TenantViewMixin, View):
    """Files are served only here: the scoped lookup checks the tenant, the mixin the role."""

    def get(self, request, pk):
        return documents.serve(access.get_document_for_user(request, pk))


class ProjectDocumentDeleteView(TenantViewMixin, View):
    write_permission = permissions.EDIT_PROJECTS

    def post(self, request, pk):
        document = access.get_document_for_write(request, pk)
        project = document.project
        if not confirm.confirmed(request):  # asks once
            question = documents.delete_question(
                document,
                attached_to=f"{project.code} {project.name}",
                cancel_url=tab_url(request, project, "documents"),
            )
            return confirm.ask(request, **question)
        services.project_document_delete(tenant=request.tenant, by=request.user, document=document)
        messages.success(
            request,
            gettext("%(original_name)s deleted.") % {"original_name": document.original_name},
        )
        return redirect(tab_url(request, project, "documents"))

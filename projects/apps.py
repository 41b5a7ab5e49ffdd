from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects"

    def ready(self):
        from accounts.tabs import AccountTab, account_tabs

        account_tabs.register(
            AccountTab(
                key="projects",
                label="Projects",
                order=30,
                icon="bi-kanban",
                template_name="projects/tabs/account_projects.html",
            )
        )

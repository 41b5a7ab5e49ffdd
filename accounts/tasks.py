from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.platform.models import Membership
from accounts.platform.tasks import tenant_task


@tenant_task()
def send_member_invitation(*, tenant_id: int, membership_id: int, base_url: str) -> str:
    """E-mail a new member a link to choose a password (Django's password-reset flow)."""
    membership = Membership.objects.select_related("user", "tenant").get(pk=membership_id)
    user = membership.user
    link = base_url.rstrip("/") + reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"membership": membership, "tenant": membership.tenant, "link": link}
    send_mail(
        subject=f"You have been invited to {membership.tenant.name}",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return user.email


@tenant_task()
def send_member_notice(*, tenant_id: int, membership_id: int, base_url: str) -> str:
    """E-mail a person who has a user account already that they now have access to a company
    (the counterpart of `send_member_invitation`: the page answers the same for both)."""
    membership = Membership.objects.select_related("user", "tenant").get(pk=membership_id)
    user = membership.user
    context = {
        "membership": membership,
        "tenant": membership.tenant,
        "link": base_url.rstrip("/") + reverse("login"),
        "reset_link": base_url.rstrip("/") + reverse("password_reset"),
    }
    send_mail(
        subject=f"You have been invited to {membership.tenant.name}",
        message=render_to_string("accounts/email/access_granted.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return user.email

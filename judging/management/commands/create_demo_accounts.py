"""Create the demo's sign-in accounts (a lead, two annotators, a researcher) for local use."""

import json
import os
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction

from annotation.management.base import HyokaCommand
from annotation.models import Annotator, Campaign, CampaignMembership, ItemSlot
from annotation.services.workflow import campaign_assign_batches, campaign_cut_batches, campaign_open

ACCOUNTS_FILE = "demo-accounts.json"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    tier: str = ""


ACCOUNTS = (
    DemoAccount("demo-lead", "lead"),
    DemoAccount("demo-annotator-1", "annotator", Annotator.Tier.GRADUATE),
    DemoAccount("demo-annotator-2", "annotator", Annotator.Tier.UNDERGRADUATE),
    DemoAccount("demo-researcher", "researcher"),
)
DEMO_CAMPAIGNS = ("demo-quality", "demo-mtbench", "demo-pairwise")
RATED_DEMO_CAMPAIGNS = ("demo-summeval",)  # rated already (imported expert ratings): the demo lead leads it only
DEMO_BATCH_SIZE = 20
DEMO_SEED = 2026


class Command(HyokaCommand):
    help = (
        "Create the demo accounts when missing (demo-lead, demo-annotator-1, demo-annotator-2, demo-researcher), "
        "with random passwords kept in VAR_DIR/demo-accounts.json, and print them. For local use only."
    )

    def handle(self, *args, **options):
        path = settings.VAR_DIR / ACCOUNTS_FILE
        passwords = read_passwords(path)
        with transaction.atomic():
            for account in ACCOUNTS:
                demo_account_ensure(account, passwords)
            write_passwords(path, passwords)  # before commit: a created user always has its password on file
            opened = [slug for slug in DEMO_CAMPAIGNS if demo_campaign_staff(slug)]
            demo_lead = User.objects.get(username="demo-lead")
            for campaign in Campaign.objects.filter(slug__in=RATED_DEMO_CAMPAIGNS):
                CampaignMembership.objects.get_or_create(campaign=campaign, user=demo_lead,
                                                         defaults={"role": CampaignMembership.Role.LEAD})
        self.stdout.write(describe_accounts(passwords, path))
        if opened:
            self.stdout.write(f"Opened for rating by the demo annotators: {', '.join(opened)}")


def read_passwords(path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def write_passwords(path, passwords):
    """Write the file readable by its owner only, before any password goes into it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(passwords, handle, indent=2)
    path.chmod(0o600)


def demo_account_ensure(account, passwords):
    """Create the user with a new random password when missing; add what a partial run left out.

    An existing user's password is never changed: it may be the one recorded, or one its owner chose.
    """
    user = User.objects.filter(username=account.username).first()
    if user is None:
        passwords[account.username] = secrets.token_urlsafe(12)
        user = User.objects.create_user(username=account.username, password=passwords[account.username])
    if account.role == "lead" and not (user.is_staff and user.is_superuser):
        User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.groups.add(Group.objects.get(name=account.role))
    if account.role == "annotator":
        Annotator.objects.get_or_create(
            user=user, defaults={"handle": account.username, "tier": account.tier, "is_external": False}
        )


def demo_campaign_staff(slug):
    """Make the demo lead lead the campaign, the demo annotators rate it and the demo researcher read it (a
    grant): batches of 20 items, each batch assigned to both annotators (overlap 2), the campaign open. Return
    True if it was opened now.

    A campaign that already has batches is left as its lead arranged it.
    """
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is None:
        return False
    annotators = []
    for account in ACCOUNTS:
        if account.role in CampaignMembership.Role.values:  # lead, annotator, researcher
            user = User.objects.get(username=account.username)
            CampaignMembership.objects.get_or_create(campaign=campaign, user=user, defaults={"role": account.role})
            if account.role == "annotator":
                annotators.append(user.annotator)
    if ItemSlot.objects.filter(campaign=campaign).exists():
        return False
    campaign_cut_batches(campaign=campaign, size=DEMO_BATCH_SIZE, seed=DEMO_SEED)
    campaign_assign_batches(campaign=campaign, annotators=annotators)
    campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)
    return True


def describe_accounts(passwords, path):
    lines = ["Demo accounts, for local use only (passwords kept in " + str(path) + "):"]
    for account in ACCOUNTS:
        user = User.objects.get(username=account.username)
        password = passwords.get(account.username)
        if password is None or not user.check_password(password):
            password = "(not the recorded one; change it with: manage.py changepassword " + account.username + ")"
        lines.append(f"  {account.role:<11} {account.username:<17} {password}")
    return "\n".join(lines)
